import { ProgressUpdate } from '@spectest/contracts';

export type StageUpdate = Omit<ProgressUpdate, 'stage'>;

/**
 * Sends updates one at a time, in the order given, and none once the signal is aborted.
 * Live token updates are coalesced: at most one per `minIntervalMs`, and none while the previous is still being sent.
 */
export class SerialReporter {
  private chain: Promise<void> = Promise.resolve();
  private failure: { error: unknown } | null = null;
  private liveInFlight = false;
  private lastLiveAt = -Infinity;

  constructor(
    private readonly report: (u: StageUpdate) => Promise<void>,
    private readonly signal: AbortSignal,
    private readonly minIntervalMs: number,
    private readonly now: () => number,
  ) {}

  /** Queues an update and waits for it (and everything before it) to be sent; rethrows a failed report. */
  async send(update: StageUpdate): Promise<void> {
    this.enqueue(update);
    await this.flush();
  }

  /** A live token update: dropped when too soon after the last one or while one is in flight. */
  offerLive(update: () => StageUpdate): void {
    const now = this.now();
    if (this.liveInFlight || this.signal.aborted || now - this.lastLiveAt < this.minIntervalMs) return;
    this.liveInFlight = true;
    this.lastLiveAt = now;
    this.enqueue(update(), () => (this.liveInFlight = false));
  }

  async flush(): Promise<void> {
    await this.chain;
    if (this.failure) throw this.failure.error;
  }

  private enqueue(update: StageUpdate, after?: () => void): void {
    this.chain = this.chain
      .then(() => (this.signal.aborted || this.failure ? undefined : this.report(update)))
      .catch((error: unknown) => {
        this.failure ??= { error };
      })
      .finally(after);
  }
}
