import { AppError } from '@spectest/contracts';
import { JSON_BODY_MAX_WORKERS, jsonBodyWorkersInUse, readJsonSubmission } from './json-body.reader';

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

  it('runs at most JSON_BODY_MAX_WORKERS parse workers at once; the others wait and all get their answer', async () => {
    const bodies = Array.from({ length: 6 }, (_, i) => JSON.stringify({ spec: `${i}`.repeat(512 * 1024), name: `n${i}` }));
    let most = 0;
    let watching = true;
    const watch = () => {
      most = Math.max(most, jsonBodyWorkersInUse());
      if (watching) setImmediate(watch);
    };
    watch();
    const answers = await Promise.all(bodies.map((body) => readJsonSubmission(Buffer.from(body), 0)));
    watching = false;
    expect(most).toBe(JSON_BODY_MAX_WORKERS);
    expect(jsonBodyWorkersInUse()).toBe(0);
    expect(answers.map((a) => (a.fields as { name: string }).name)).toEqual(['n0', 'n1', 'n2', 'n3', 'n4', 'n5']);
    expect(answers.map((a) => a.spec?.length)).toEqual(bodies.map((_, i) => `${i}`.repeat(512 * 1024).length));
  });

  it('frees its worker slot when a body is refused', async () => {
    await Promise.all([1, 2, 3].map(() => readJsonSubmission(Buffer.from('{"spec": '), 0).catch(() => undefined)));
    expect(jsonBodyWorkersInUse()).toBe(0);
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
