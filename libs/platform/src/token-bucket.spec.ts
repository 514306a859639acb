import { TokenBucket } from './token-bucket';

describe('TokenBucket', () => {
  it('allows the burst at once, then one action per refill interval, and says how long to wait', () => {
    const bucket = new TokenBucket(4, 3, 1_000);
    expect([1, 2, 3].map(() => bucket.take(1_000))).toEqual([0, 0, 0]);
    expect(bucket.take(1_000)).toBe(250);
    expect(bucket.take(1_100)).toBe(150);
    expect(bucket.take(1_250)).toBe(0);
    expect(bucket.take(1_250)).toBe(250);
  });

  it('never holds more than the burst, however long it stays idle, and ignores a clock going back', () => {
    const bucket = new TokenBucket(10, 2, 0);
    expect([0, 0, 0].map(() => bucket.take(3_600_000))).toEqual([0, 0, 100]);
    expect(bucket.take(1_000)).toBe(100);
  });
});
