import { signTestToken } from '@spectest/auth';
import { RawAnswer, rawRequest } from '@spectest/testing';
import { randomBytes } from 'node:crypto';
import { connect } from 'node:net';
import { brotliCompressSync, deflateSync, gzipSync } from 'node:zlib';
import { IntakeTestApp, fixture, startIntakeTestApp } from './testing/intake-test-app';
import { HELD_PER_BODY_BYTE, SLOW_BODY_MS } from './upload-limiter';

/**
 * The request body of POST /v1/tasks is read only for a caller who is authenticated and admitted, and
 * then under limits: size (as sent and as decoded), inflation ratio, rate, deadline, and how many bodies
 * one client and the whole process may be reading at once. An intake without workers: tasks stay queued.
 */
jest.setTimeout(30_000);

const KiB = 1024;
/** Large enough for the 1 MiB floor of the inflation ratio to be reached below the body limit. */
const MAX_SPEC_BYTES = 1024 * KiB;
const MAX_COMPRESSED_BODY_BYTES = 512 * KiB;
/** The JSON body limit: twice the spec (escapes) plus 64 KiB of other fields. */
const MAX_BODY_BYTES = 2 * MAX_SPEC_BYTES + 64 * KiB;
/** A body just under the limit, and a budget that holds nine tenths of two of them, but not a third declared. */
const BIG_BODY = MAX_BODY_BYTES - KiB;
const UPLOAD_MEMORY_BYTES = Math.floor((2 * 0.9 + 0.5) * HELD_PER_BODY_BYTE * BIG_BODY);

let t: IntakeTestApp;
beforeAll(async () => {
  t = await startIntakeTestApp({
    worker: false,
    env: {
      MAX_SPEC_BYTES: String(MAX_SPEC_BYTES),
      MAX_COMPRESSED_BODY_BYTES: String(MAX_COMPRESSED_BODY_BYTES),
      MAX_INFLATE_RATIO: '20',
      MIN_BODY_BYTES_PER_SECOND: '2000',
      BODY_RATE_WINDOW_MS: '400',
      HTTP_REQUEST_TIMEOUT_MS: '2500',
      HTTP_HEADERS_TIMEOUT_MS: '1000',
      MAX_UPLOADS_PER_CLIENT: '2',
      UPLOAD_MEMORY_BYTES: String(UPLOAD_MEMORY_BYTES),
      RATE_LIMIT_PER_MINUTE: '1000',
      MAX_ACTIVE_TASKS_PER_TENANT: '1000',
    },
  });
});
afterAll(async () => {
  await t?.stop();
});

const json = { 'content-type': 'application/json' };
const bearer = async (tenant: string) => ({ authorization: `Bearer ${await t.token(tenant)}` });
const post = (headers: Record<string, string | number>, rest: Omit<Parameters<typeof rawRequest>[1], 'path' | 'headers'> = {}) => rawRequest(t.url, { path: '/v1/tasks', headers, ...rest });
const specBody = (extra = '') => Buffer.from(JSON.stringify({ spec: fixture('petstore.yaml') + extra }));
/** A gzip member that inflates to `bytes` of one repeated letter inside a spec string: a bomb, some 1000 to 1. */
const bomb = (bytes: number) => gzipSync(Buffer.concat([Buffer.from('{"spec":"'), Buffer.alloc(bytes, 'a'), Buffer.from('"}')]), { level: 9 });

function expectProblem(answer: RawAnswer, status: number, code: string) {
  const body = answer.body ? JSON.parse(answer.body) : {};
  expect({ status: answer.status, code: body.code, type: answer.headers['content-type'] }).toEqual({ status, code, type: expect.stringMatching(/^application\/problem\+json/) });
  return body;
}

describe('nothing of the body is read before the caller is known and admitted', () => {
  it('401 without a token or with a bad one, before `100 Continue`: the body is never asked for', async () => {
    const forged = await signTestToken('another-secret-0123456789', { sub: 'mallory' });
    for (const headers of [json, { ...json, authorization: 'Bearer nope' }, { ...json, authorization: `Bearer ${forged}` }]) {
      const answer = await post({ ...headers, 'content-length': 98 * 1024 * KiB }, { expectContinue: true });
      expectProblem(answer, 401, 'unauthorized');
      expect(answer.continued).toBe(false);
    }
  });

  it('401 for an anonymous gzip bomb, and the connection is closed rather than drained', async () => {
    const answer = await post({ ...json, 'content-encoding': 'gzip' }, { body: bomb(8 * 1024 * KiB) });
    expectProblem(answer, 401, 'unauthorized');
    expect(answer.headers.connection).toBe('close');
  });

  it('413 for a declared length over the limit, before `100 Continue`', async () => {
    const answer = await post({ ...json, ...(await bearer('declared')), 'content-length': MAX_BODY_BYTES + 1 }, { expectContinue: true });
    expect(expectProblem(answer, 413, 'payload_too_large').detail).toContain(String(MAX_BODY_BYTES));
    expect(answer.continued).toBe(false);
  });

  it('415 for a media type or a Content-Encoding intake does not read, before `100 Continue`', async () => {
    const auth = await bearer('media');
    expectProblem(await post({ ...auth, 'content-type': 'text/plain' }, { expectContinue: true, body: Buffer.from('openapi: 3.0.3') }), 415, 'unsupported_media_type');
    const zstd = await post({ ...json, ...auth, 'content-encoding': 'zstd' }, { expectContinue: true, body: specBody() });
    expectProblem(zstd, 415, 'unsupported_media_type');
    expect(zstd.continued).toBe(false);
  });

  it('429 over the rate limit, before `100 Continue`', async () => {
    const tenant = 'flooder';
    const limited = await startIntakeTestApp({ worker: false, env: { RATE_LIMIT_PER_MINUTE: '1' } });
    try {
      const auth = { authorization: `Bearer ${await limited.token(tenant)}` };
      expect((await rawRequest(limited.url, { path: '/v1/tasks', headers: { ...json, ...auth }, body: specBody() })).status).toBe(202);
      const answer = await rawRequest(limited.url, { path: '/v1/tasks', headers: { ...json, ...auth }, body: specBody(), expectContinue: true });
      expectProblem(answer, 429, 'rate_limited');
      expect(answer.continued).toBe(false);
      expect(Number(answer.headers['retry-after'])).toBeGreaterThan(0);
    } finally {
      await limited.stop();
    }
  });
});

describe('limits while the body is read', () => {
  it('accepts gzip, deflate and br bodies within the limits', async () => {
    const auth = await bearer('compressed');
    for (const [coding, encode] of [['gzip', gzipSync], ['deflate', deflateSync], ['br', brotliCompressSync]] as const) {
      const answer = await post({ ...json, ...auth, 'content-encoding': coding }, { body: encode(specBody()) });
      expect([coding, answer.status]).toEqual([coding, 202]);
    }
  });

  it('413 for a bomb once it inflates past MAX_INFLATE_RATIO, long before it is whole', async () => {
    const answer = await post({ ...json, ...(await bearer('bomber')), 'content-encoding': 'gzip' }, { body: bomb(24 * 1024 * KiB) });
    expect(expectProblem(answer, 413, 'payload_too_large').detail).toMatch(/inflates more than 20 times/);
  });

  it('413 for a compressed body over MAX_COMPRESSED_BODY_BYTES, and for one that inflates past the body limit', async () => {
    const auth = await bearer('packer');
    // Random text does not compress: 800 KiB of it stays over the 512 KiB cap once gzipped.
    const noisy = gzipSync(Buffer.from(JSON.stringify({ spec: randomBytes(600 * KiB).toString('base64') })));
    expect(noisy.length).toBeGreaterThan(MAX_COMPRESSED_BODY_BYTES);
    expect(expectProblem(await post({ ...json, ...auth, 'content-encoding': 'gzip' }, { body: noisy }), 413, 'payload_too_large').detail).toMatch(/compressed/);
    // Within the cap and the ratio (one letter in six a `b`: some 8 to 1), but past the body limit once inflated.
    const letters = Buffer.from([...randomBytes(MAX_BODY_BYTES + 4 * KiB)].map((b) => (b < 40 ? 0x62 : 0x61)));
    const wide = gzipSync(Buffer.concat([Buffer.from('{"spec":"'), letters, Buffer.from('"}')]));
    expect(wide.length).toBeLessThan(MAX_COMPRESSED_BODY_BYTES);
    expect(expectProblem(await post({ ...json, ...auth, 'content-encoding': 'gzip' }, { body: wide }), 413, 'payload_too_large').detail).toMatch(/once decoded/);
  });

  it('408 request_timeout for a body dribbled below MIN_BODY_BYTES_PER_SECOND', async () => {
    const answer = await post({ ...json, ...(await bearer('dribbler')) }, { dribble: { bytes: 10, everyMs: 50, total: 50 * KiB }, chunked: true });
    expect(expectProblem(answer, 408, 'request_timeout').detail).toMatch(/it needs at least 2000 bytes\/s$/);
  });

  it('408 request_timeout, early, for a declared body too slow to be whole by HTTP_REQUEST_TIMEOUT_MS', async () => {
    // 8 KB/s: above MIN_BODY_BYTES_PER_SECOND, but 2 MiB would take four minutes.
    const answer = await post({ ...json, ...(await bearer('laggard')) }, { dribble: { bytes: 400, everyMs: 50, total: MAX_BODY_BYTES } });
    expect(expectProblem(answer, 408, 'request_timeout').detail).toMatch(new RegExp(`for its ${MAX_BODY_BYTES} bytes to arrive within 2500 ms`));
  });

  it('408 request_timeout for a body still arriving at HTTP_REQUEST_TIMEOUT_MS, fast enough but endless', async () => {
    const answer = await post({ ...json, ...(await bearer('trickler')) }, { dribble: { bytes: 400, everyMs: 50, total: MAX_BODY_BYTES }, chunked: true });
    expect(expectProblem(answer, 408, 'request_timeout').detail).toMatch(/within 2500 ms/);
  });
});

describe('slow headers', () => {
  it('a client that dribbles its headers is answered 408 and cut off after HTTP_HEADERS_TIMEOUT_MS', async () => {
    const { port } = new URL(t.url);
    const socket = connect(Number(port), '127.0.0.1');
    let received = '';
    socket.on('data', (d) => (received += d));
    const closed = new Promise<number>((resolve) => socket.once('close', () => resolve(Date.now())));
    const started = Date.now();
    socket.write('POST /v1/tasks HTTP/1.1\r\nHost: localhost\r\n');
    const drip = setInterval(() => !socket.destroyed && socket.write('X'), 100);
    const at = await closed;
    clearInterval(drip);
    expect(received).toMatch(/^HTTP\/1\.1 408/);
    // Not a speed figure: Node checks its timeouts every 30 s unless told otherwise (we check every second),
    // which would most often let this connection live well past 10 s.
    expect(at - started).toBeLessThan(10_000);
  });
});

describe('bodies being read at once', () => {
  it('429 limit_exceeded past MAX_UPLOADS_PER_CLIENT slow bodies of one client, with Retry-After; another client is not held up', async () => {
    const auth = await bearer('slowpoke');
    // 20 KB/s: above the minimum rate, but still arriving after a second, so each counts as slow.
    const slow = [1, 2].map(() => post({ ...json, ...auth }, { dribble: { bytes: 2000, everyMs: 100, total: 40 * KiB } }));
    await new Promise((r) => setTimeout(r, SLOW_BODY_MS + 300));
    const third = await post({ ...json, ...auth }, { body: specBody(), expectContinue: true });
    expectProblem(third, 429, 'limit_exceeded');
    expect(Number(third.headers['retry-after'])).toBeGreaterThan(0);
    expect(third.continued).toBe(false);
    expect((await post({ ...json, ...(await bearer('bystander')) }, { body: specBody() })).status).toBe(202);
    // The slow ones end (as invalid JSON: blanks only), and the client may send again.
    for (const answer of await Promise.all(slow)) expectProblem(answer, 400, 'invalid_request');
    expect((await post({ ...json, ...auth }, { body: specBody() })).status).toBe(202);
  });

  it('quick small bodies of one client are never held up by that limit', async () => {
    const auth = await bearer('burst');
    const answers = await Promise.all(Array.from({ length: 8 }, () => post({ ...json, ...auth }, { body: specBody() })));
    expect(answers.map((a) => a.status)).toEqual(Array(8).fill(202));
  });

  it('503 unavailable with Retry-After, before the body, once what is held leaves no room for a declared length', async () => {
    const holders = ['holder-a', 'holder-b'].map(async (tenant) =>
      post({ ...json, ...(await bearer(tenant)), 'content-length': BIG_BODY }, { dribble: { first: Math.floor(0.9 * BIG_BODY), bytes: 400, everyMs: 50, total: BIG_BODY } }),
    );
    await new Promise((r) => setTimeout(r, 500));
    for (const tenant of ['holder-c', 'holder-a']) {
      const full = await post({ ...json, ...(await bearer(tenant)), 'content-length': BIG_BODY }, { body: Buffer.alloc(BIG_BODY, ' '), expectContinue: true });
      expectProblem(full, 503, 'unavailable');
      expect(Number(full.headers['retry-after'])).toBeGreaterThan(0);
      expect(full.continued).toBe(false);
    }
    // A small one still fits.
    expect((await post({ ...json, ...(await bearer('holder-c')) }, { body: specBody() })).status).toBe(202);
    await Promise.all(holders);
  });
});
