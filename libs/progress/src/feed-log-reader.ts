import type { TaskEvent } from '@spectest/contracts';
import type { TaskStore } from '@spectest/persistence';
import { withDeadline } from '@spectest/platform';
import { progressMetrics } from './progress.metrics';

/** The log could not be read after every retry (the database is down or refuses the query). */
export class LogUnreadableError extends Error {
  readonly code = 'unavailable';
  constructor(readonly taskId: string, cause: unknown) {
    super(`the event log of task ${taskId} cannot be read: ${String((cause as Error)?.message ?? cause)}`);
    this.name = 'LogUnreadableError';
  }
}

export interface FeedLogReaderOptions {
  /** Events per query. */
  pageSize: number;
  /** Waits before each retry of a failed read; when they are used up the read fails for good. */
  retryDelaysMs: readonly number[];
  /** A read with no answer by then counts as failed (a database that stopped answering). */
  readTimeoutMs: number;
  warn(detail: Record<string, unknown>, msg: string): void;
}

/**
 * The one paged reader of the event log behind every feed. A failed read (or one with no answer in
 * time) is retried with backoff (a database restart or a pool that lost its connections heals within
 * seconds) and then fails with LogUnreadableError, so a subscriber is told instead of being dropped in
 * silence or left waiting.
 */
export class FeedLogReader {
  constructor(
    private readonly store: TaskStore,
    readonly options: FeedLogReaderOptions,
  ) {}

  get pageSize(): number {
    return this.options.pageSize;
  }

  /** One try, no retry: is there an event after `afterSeq`? False when the log cannot be read now. */
  async hasAfter(taskId: string, afterSeq: number): Promise<boolean> {
    const next = await withDeadline(this.store.readEvents(taskId, afterSeq, 1), this.options.readTimeoutMs, 'looking at the event log').catch(() => []);
    return next.length > 0;
  }

  /** Events with seq > afterSeq (and <= uptoSeq), at most `limit`; `gone()` stops the retries early. */
  async read(taskId: string, afterSeq: number, opts: { uptoSeq?: number; limit?: number; gone?: () => boolean } = {}): Promise<TaskEvent[]> {
    const delays = this.options.retryDelaysMs;
    for (let attempt = 0; ; attempt++) {
      try {
        return await withDeadline(this.store.readEvents(taskId, afterSeq, opts.limit ?? this.options.pageSize, opts.uptoSeq), this.options.readTimeoutMs, 'reading the event log');
      } catch (err) {
        const gaveUp = attempt >= delays.length || opts.gone?.() === true;
        progressMetrics.feedReadFailures().inc({ outcome: gaveUp ? 'gave_up' : 'retried' });
        this.options.warn({ taskId, afterSeq, attempt: attempt + 1, err: String(err) }, gaveUp ? 'reading the event log failed; giving up' : 'reading the event log failed; retrying');
        if (gaveUp) throw new LogUnreadableError(taskId, err);
        await new Promise((r) => setTimeout(r, delays[attempt]));
      }
    }
  }
}
