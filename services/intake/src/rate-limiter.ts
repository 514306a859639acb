import { TokenBucket } from '@spectest/platform';

/**
 * Token bucket per key: `perMinute` requests a minute, bursts up to the same number.
 * Per process: with N intake replicas a tenant gets up to N times the rate (documented).
 */
export class RateLimiter {
  private readonly buckets = new Map<string, TokenBucket>();

  constructor(
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
    private readonly maxKeys = 100_000,
  ) {}

  /** Takes a token; returns 0 when allowed, else the seconds to wait. */
  take(key: string): number {
    const t = this.now();
    let bucket = this.buckets.get(key);
    if (!bucket) {
      if (this.buckets.size >= this.maxKeys) this.buckets.clear();
      this.buckets.set(key, (bucket = new TokenBucket(this.perMinute / 60, this.perMinute, t)));
    }
    const waitMs = bucket.take(t);
    return waitMs === 0 ? 0 : Math.max(1, Math.ceil(waitMs / 1000));
  }
}
