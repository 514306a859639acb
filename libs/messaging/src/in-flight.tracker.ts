/**
 * Counts handlers running in one consumer, so the pull loop takes no more than `limit` messages
 * and drain() can wait for the ones already taken.
 */
export class InFlightTracker {
  private count = 0;
  private waiters: Array<() => void> = [];

  constructor(readonly limit: number) {}

  get size(): number {
    return this.count;
  }

  get free(): number {
    return Math.max(0, this.limit - this.count);
  }

  enter(): void {
    this.count += 1;
  }

  leave(): void {
    this.count -= 1;
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  /** Resolves on the next leave(), or after `timeoutMs` (so a waiting loop can notice it must stop). */
  changed(timeoutMs: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(done, timeoutMs);
      function done(): void {
        clearTimeout(timer);
        resolve();
      }
      this.waiters.push(done);
    });
  }

  /** True once nothing is in flight; false if `timeoutMs` passed first. */
  async idle(timeoutMs: number): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    while (this.count > 0) {
      const left = deadline - Date.now();
      if (left <= 0) return false;
      await this.changed(left);
    }
    return true;
  }
}
