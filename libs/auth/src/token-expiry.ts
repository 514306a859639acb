/**
 * Ends sockets whose token expires, with one timer for all of them instead of one per socket: sockets are
 * kept in buckets by the second their token expires, and one tick a second ends the buckets that are due.
 * An idle socket then costs a Set entry, not a Timeout, its closure and its context; a socket is ended at
 * most about a second after its token's `exp` (which JWTs state in whole seconds anyway).
 */
export class TokenExpiry<T> {
  private readonly buckets = new Map<number, Set<T>>();
  private timer?: NodeJS.Timeout;

  constructor(
    private readonly expire: (item: T) => void,
    private readonly tickMs = 1_000,
  ) {}

  /** Registers an item that expires at `atMs` (epoch ms); returns the key to pass to `remove`. */
  add(item: T, atMs: number): number {
    const key = Math.ceil(atMs / this.tickMs);
    let bucket = this.buckets.get(key);
    if (!bucket) this.buckets.set(key, (bucket = new Set()));
    bucket.add(item);
    if (!this.timer) {
      this.timer = setInterval(() => this.tick(), this.tickMs);
      this.timer.unref();
    }
    return key;
  }

  remove(item: T, key: number): void {
    const bucket = this.buckets.get(key);
    if (!bucket?.delete(item) || bucket.size > 0) return;
    this.buckets.delete(key);
    this.stopWhenEmpty();
  }

  /** Items registered (for tests and metrics). */
  get size(): number {
    let n = 0;
    for (const b of this.buckets.values()) n += b.size;
    return n;
  }

  private tick(now = Date.now()): void {
    const due = Math.floor(now / this.tickMs);
    for (const [key, bucket] of this.buckets) {
      if (key > due) continue;
      this.buckets.delete(key);
      for (const item of bucket) this.expire(item);
    }
    this.stopWhenEmpty();
  }

  private stopWhenEmpty(): void {
    if (this.buckets.size > 0 || !this.timer) return;
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
