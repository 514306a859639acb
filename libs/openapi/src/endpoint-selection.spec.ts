import { AppError } from '@spectest/contracts';
import { readSpec, selectEndpoints, stopSpecValidator } from './index';

jest.setTimeout(30_000);
afterAll(() => stopSpecValidator());

const info = { title: 'S', version: '1' };

async function failureOf(document: Record<string, unknown>, include?: { tags?: string[]; paths?: string[] }): Promise<AppError> {
  const spec = await readSpec(document);
  try {
    selectEndpoints(spec, include);
  } catch (error) {
    return error as AppError;
  }
  throw new Error('selectEndpoints did not refuse');
}

describe('selectEndpoints', () => {
  const ok = { responses: { '200': { description: 'ok' } } };

  it('returns the filtered endpoints', async () => {
    const spec = await readSpec({ openapi: '3.0.3', info, paths: { '/a': { get: { tags: ['x'], ...ok } }, '/b': { get: ok } } });
    expect(selectEndpoints(spec, { tags: ['X'] }).map((e) => e.key)).toEqual(['GET /a']);
    expect(selectEndpoints(spec).map((e) => e.key)).toEqual(['GET /a', 'GET /b']);
  });

  it('says a webhooks-only document has nothing for a client to call', async () => {
    const error = await failureOf({ openapi: '3.1.0', info, webhooks: { newPet: { post: ok }, gonePet: { post: ok } } });
    expect(error).toMatchObject({ code: 'no_operations' });
    expect(error.message).toContain('only webhooks (2');
  });

  it('says paths is empty, and names the known tags when include matches nothing', async () => {
    expect((await failureOf({ openapi: '3.0.3', info, paths: {} })).message).toContain('"paths" is missing or has no path');
    const error = await failureOf({ openapi: '3.0.3', info, paths: { '/a': { get: { tags: ['pets'], ...ok } } } }, { tags: ['cats'] });
    expect(error).toMatchObject({ code: 'no_operations' });
    expect(error.message).toBe("None of the 1 operations matches options.include. The spec's tags are: pets.");
  });
});
