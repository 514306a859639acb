import { HELD_PER_BODY_BYTE, LARGE_BODY_BYTES, SLOW_BODY_MS, UploadLimiter, UploadRefusedError } from './upload-limiter';

const refusal = (f: () => unknown): UploadRefusedError => {
  try {
    f();
  } catch (error) {
    if (error instanceof UploadRefusedError) return error;
    throw error;
  }
  throw new Error('not refused');
};

describe('UploadLimiter', () => {
  let clock = 0;
  const now = () => clock;
  beforeEach(() => {
    clock = 0;
  });

  it('never holds up small quick bodies, however many', () => {
    const limiter = new UploadLimiter({ budgetBytes: 1e9, perClient: 1 }, now);
    const uploads = Array.from({ length: 20 }, () => limiter.acquire('a', 1000));
    for (const u of uploads) u.ensure(1000);
    expect(limiter.reservedBytes).toBeGreaterThan(0);
    for (const u of uploads) u.release();
    expect(limiter.reservedBytes).toBe(0);
  });

  it('lets a client have perClient large or slow bodies at once (429 limit_exceeded past it), others unaffected', () => {
    const limiter = new UploadLimiter({ budgetBytes: 1e9, perClient: 2 }, now);
    const large = limiter.acquire('a', LARGE_BODY_BYTES + 1);
    const slow = limiter.acquire('a', 100);
    clock += SLOW_BODY_MS + 1;
    slow.ensure(50);
    const third = refusal(() => limiter.acquire('a', 10));
    expect([third.status, third.code, third.retryAfterSeconds]).toEqual([429, 'limit_exceeded', 5]);
    const growing = limiter.acquire('b', 0);
    growing.ensure(LARGE_BODY_BYTES + 1);
    large.release();
    large.release();
    limiter.acquire('a', 10).release();
    const undeclared = limiter.acquire('a', 0);
    undeclared.ensure(10);
    limiter.acquire('a', LARGE_BODY_BYTES * 2);
    // Growing past the size of a large body makes it count: a third one.
    expect(refusal(() => undeclared.ensure(LARGE_BODY_BYTES * 2)).code).toBe('limit_exceeded');
    expect(() => slow.ensure(LARGE_BODY_BYTES * 2)).not.toThrow();
  });

  it('reserves HELD_PER_BODY_BYTE times what has arrived; refuses past the budget with 503 unavailable; gives it back', () => {
    const limiter = new UploadLimiter({ budgetBytes: 4000, perClient: 10 }, now);
    const upload = limiter.acquire('a', 0);
    upload.ensure(100);
    expect(limiter.reservedBytes).toBe(100 * HELD_PER_BODY_BYTE);
    upload.ensure(50);
    expect(limiter.reservedBytes).toBe(100 * HELD_PER_BODY_BYTE);
    const over = refusal(() => upload.ensure(2000));
    expect([over.status, over.code, over.retryAfterSeconds]).toEqual([503, 'unavailable', 5]);
    upload.release();
    expect(limiter.reservedBytes).toBe(0);
  });

  it('reserves for a declared body before it is read, and turns away at once one that does not fit', () => {
    const limiter = new UploadLimiter({ budgetBytes: 300 * HELD_PER_BODY_BYTE, perClient: 10 }, now);
    const first = limiter.acquire('a', 200);
    expect(limiter.reservedBytes).toBe(200 * HELD_PER_BODY_BYTE);
    first.ensure(200);
    expect(limiter.reservedBytes).toBe(200 * HELD_PER_BODY_BYTE);
    expect(refusal(() => limiter.acquire('b', 101)).code).toBe('unavailable');
    limiter.acquire('b', 50).release();
    first.release();
    limiter.acquire('b', 300).release();
    expect(limiter.reservedBytes).toBe(0);
  });
});
