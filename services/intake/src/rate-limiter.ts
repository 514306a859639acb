/**
 * Token bucket per key: `perMinute` requests a minute, bursts up to the same number.
 * Per process: with N intake replicas a tenant gets up to N times the rate (documented).
 */
export class RateLimiter {
  private readonly buckets = new Map<string, { tokens: number; at: number }>();

  constructor(
    private readonly perMinute: number,
    private readonly now: () => number = Date.now,
    private readonly maxKeys = 100_000,
  ) {}

  /** Takes a token; returns 0 when allowed, else the seconds to wait. */
  take(key: string): number {
    const t = this.now();
    const rate = this.perMinute / 60_000;
    const b = this.buckets.get(key) ?? { tokens: this.perMinute, at: t };
    b.tokens = Math.min(this.perMinute, b.tokens + (t - b.at) * rate);
    b.at = t;
    if (b.tokens < 1) {
      this.buckets.set(key, b);
      return Math.max(1, Math.ceil((1 - b.tokens) / rate / 1000));
    }
    b.tokens -= 1;
    if (this.buckets.size >= this.maxKeys && !this.buckets.has(key)) this.buckets.clear();
    this.buckets.set(key, b);
    return 0;
  }
}
