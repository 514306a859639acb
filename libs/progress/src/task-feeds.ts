import type { TaskStore } from '@spectest/persistence';
import { FeedHead, FeedSink, FeedSubscription } from './feed-sink';
import { FeedLogReader } from './feed-log-reader';
import { TaskEventHub } from './task-event.hub';
import { TaskFeed } from './task-feed';

export interface TaskFeedsOptions {
  /** Events read from the log per query. */
  pageSize?: number;
  /** Safety net against a lost fan-out message: how often the log of a task without live events is checked. */
  pollIntervalMs?: number;
  /** Waits before each retry of a failed log read; then the subscribers of that read are told (FeedEnd `failed`). */
  readRetryDelaysMs?: readonly number[];
  /** A log read with no answer by then counts as failed. */
  readTimeoutMs?: number;
  warn?: (detail: Record<string, unknown>, msg: string) => void;
}

export const DEFAULT_READ_RETRY_DELAYS_MS: readonly number[] = [250, 1_000, 3_000];

/**
 * The read side of the event log, one per process: every subscriber of a task (sockets, SSE responses,
 * `Prefer: wait`) rides that task's one TaskFeed, with its own position, pacing and end. `subscribe`
 * delivers the events after `afterSeq` in seq order, with no gap and no duplicate, then the live ones,
 * until the terminal event, a failure, or `close()`.
 *
 * The safety net against lost fan-out messages is one poll per process: every pollIntervalMs, each live
 * feed that heard nothing for that long gets one query (is there an event after its position?), and only
 * then reads the log. A tick still running (slow database) makes the next one skip.
 */
export class TaskFeeds {
  private readonly feeds = new Map<string, TaskFeed>();
  private readonly reader: FeedLogReader;
  private readonly pollIntervalMs: number;
  private readonly warn: (detail: Record<string, unknown>, msg: string) => void;
  private timer?: NodeJS.Timeout;
  private polling = false;

  constructor(
    store: TaskStore,
    private readonly hub: TaskEventHub,
    options: TaskFeedsOptions = {},
  ) {
    this.warn = options.warn ?? (() => undefined);
    this.pollIntervalMs = options.pollIntervalMs ?? 2_000;
    this.reader = new FeedLogReader(store, {
      pageSize: options.pageSize ?? 500,
      retryDelaysMs: options.readRetryDelaysMs ?? DEFAULT_READ_RETRY_DELAYS_MS,
      readTimeoutMs: options.readTimeoutMs ?? 10_000,
      warn: this.warn,
    });
  }

  /**
   * @param afterSeq the last seq the subscriber has (0: from the first event)
   * @param head the task's snapshot as the subscriber read it (its `seq` is in the log; an ended task needs no live events)
   */
  subscribe(taskId: string, afterSeq: number, head: FeedHead, sink: FeedSink): FeedSubscription {
    let feed = this.feeds.get(taskId);
    if (!feed) {
      feed = new TaskFeed(taskId, head, { hub: this.hub, reader: this.reader, retired: (f) => this.retired(f), warn: this.warn });
      // An ended task's feed only reads the log for its members: nobody else joins it.
      if (!feed.ended) this.track(feed);
      feed.open();
    }
    return feed.add(sink, afterSeq);
  }

  /** Tasks with a live feed in this process (for metrics and tests). */
  get liveFeeds(): number {
    return this.feeds.size;
  }

  private track(feed: TaskFeed): void {
    this.feeds.set(feed.taskId, feed);
    if (!this.timer) {
      this.timer = setInterval(() => void this.pollAll(), this.pollIntervalMs);
      this.timer.unref();
    }
  }

  private retired(feed: TaskFeed): void {
    if (this.feeds.get(feed.taskId) === feed) this.feeds.delete(feed.taskId);
    if (this.feeds.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  private async pollAll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const quietSince = Date.now() - this.pollIntervalMs;
      for (const feed of [...this.feeds.values()]) {
        if (!feed.pollable || feed.lastLiveAt > quietSince) continue;
        // One try: a failed look is repeated at the next tick.
        if (await this.reader.hasAfter(feed.taskId, feed.position)) feed.catchUp();
      }
    } finally {
      this.polling = false;
    }
  }
}
