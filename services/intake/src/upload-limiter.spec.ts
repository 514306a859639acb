import { HELD_PER_BODY_BYTE, UploadLimiter, UploadRefusedError } from './upload-limiter';

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
  it('lets a client send perClient bodies at once (429 limit_exceeded past it), others unaffected, and counts a release', () => {
    const limiter = new UploadLimiter({ budgetBytes: 1e9, perClient: 2 });
    const a = [limiter.acquire('a', 10), limiter.acquire('a', 10)];
    const third = refusal(() => limiter.acquire('a', 10));
    expect([third.status, third.code, third.retryAfterSeconds]).toEqual([429, 'limit_exceeded', 5]);
    limiter.acquire('b', 10);
    a[0].release();
    a[0].release();
    limiter.acquire('a', 10);
    expect(() => limiter.acquire('a', 10)).toThrow(UploadRefusedError);
  });

  it('reserves HELD_PER_BODY_BYTE times the body, refuses past the budget with 503 unavailable, and gives it back', () => {
    const limiter = new UploadLimiter({ budgetBytes: 300 * HELD_PER_BODY_BYTE, perClient: 10 });
    const first = limiter.acquire('a', 200);
    expect(limiter.reservedBytes).toBe(200 * HELD_PER_BODY_BYTE);
    const full = refusal(() => limiter.acquire('b', 101));
    expect([full.status, full.code]).toEqual([503, 'unavailable']);
    first.release();
    expect(limiter.reservedBytes).toBe(0);
    limiter.acquire('b', 300).release();
  });

  it('grows the reservation of a body of unknown size in steps as it arrives, refusing once the budget is spent', () => {
    const step = 64 * 1024;
    const limiter = new UploadLimiter({ budgetBytes: 4 * step, perClient: 10 });
    const upload = limiter.acquire('a', 0);
    upload.ensure(1);
    expect(limiter.reservedBytes).toBe(step);
    upload.ensure(step / HELD_PER_BODY_BYTE);
    expect(limiter.reservedBytes).toBe(step);
    expect(() => upload.ensure(step * 2)).toThrow(UploadRefusedError);
    upload.release();
    expect(limiter.reservedBytes).toBe(0);
  });
});
