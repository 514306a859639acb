import { AppError } from '@spectest/contracts';
import { readJsonSubmission } from './json-body.reader';

const bodies: [string, string][] = [
  ['a spec string', JSON.stringify({ spec: 'openapi: 3.0.3\ninfo: {title: é, version: "1"}\n', name: 'n', options: { seed: 1 } })],
  ['a spec object', JSON.stringify({ spec: { openapi: '3.0.3', paths: {} }, name: 'o' })],
  ['no spec', JSON.stringify({ name: 'x' })],
  ['an empty object', '{}'],
  ['a spec of another type', JSON.stringify({ spec: 42 })],
  ['a spec array', JSON.stringify({ spec: [1] })],
  ['an array', '[1,2]'],
  ['a string', '"just a string"'],
];

const asPlain = async (body: string, threshold: number) => {
  const { fields, spec, specKind } = await readJsonSubmission(Buffer.from(body), threshold);
  return { fields, spec: spec?.toString('utf8') ?? null, specKind };
};

describe('readJsonSubmission', () => {
  it.each(bodies)('gives the same answer for %s inline and in the worker', async (_name, body) => {
    const inline = await asPlain(body, Infinity);
    expect(await asPlain(body, 0)).toEqual(inline);
    const parsed = JSON.parse(body);
    if (typeof parsed?.spec === 'string') expect(inline).toMatchObject({ spec: parsed.spec, specKind: 'string' });
    if (inline.specKind === 'object') expect(JSON.parse(inline.spec!)).toEqual(parsed.spec);
  });

  it('refuses a body that is not JSON as invalid_request, inline and in the worker', async () => {
    for (const threshold of [Infinity, 0]) {
      const error = await readJsonSubmission(Buffer.from('{"spec": '), threshold).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(AppError);
      expect((error as AppError).code).toBe('invalid_request');
    }
  });

  it('lets the event loop run while a big body is parsed', async () => {
    const body = Buffer.from(JSON.stringify({ spec: 'x'.repeat(8 * 1024 * 1024) }));
    let turns = 0;
    let counting = true;
    const count = () => {
      turns++;
      if (counting) setImmediate(count);
    };
    setImmediate(count);
    const { spec } = await readJsonSubmission(body);
    counting = false;
    expect(spec?.length).toBe(8 * 1024 * 1024);
    expect(turns).toBeGreaterThan(1);
  });
});
