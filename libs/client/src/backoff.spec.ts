import { backoffDelay } from './backoff';

describe('backoffDelay', () => {
  it('doubles per attempt up to the ceiling, half fixed and half random', () => {
    const opts = { initialDelayMs: 100, maxDelayMs: 1_000 };
    expect([0, 1, 2, 3, 4, 10].map((a) => backoffDelay(a, opts, () => 0))).toEqual([50, 100, 200, 400, 500, 500]);
    expect([0, 1, 2, 3, 4, 10].map((a) => backoffDelay(a, opts, () => 1))).toEqual([100, 200, 400, 800, 1_000, 1_000]);
  });

  it('spreads clients that fail at the same instant', () => {
    const delays = new Set(Array.from({ length: 50 }, () => backoffDelay(3)));
    expect(delays.size).toBeGreaterThan(10);
    for (const d of delays) expect([d >= 1_000, d <= 2_000]).toEqual([true, true]);
  });

  it('treats a negative attempt as the first and honours the factor', () => {
    expect(backoffDelay(-5, { initialDelayMs: 100 }, () => 0)).toBe(50);
    expect(backoffDelay(2, { initialDelayMs: 100, factor: 3, maxDelayMs: 10_000 }, () => 1)).toBe(900);
  });
});
