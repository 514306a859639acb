import { TaskEvent } from '@spectest/contracts';
import type { TaskStore } from '@spectest/persistence';
import { TaskEventHub } from './task-event.hub';

export interface TaskEventStreamOptions {
  /** Events read from Postgres per query during replay. */
  pageSize?: number;
  /** Safety net against a lost fan-out message: how often the log of a task without live events is checked. */
  pollIntervalMs?: number;
}

export interface OpenStream {
  close(): Promise<void>;
  /** The last seq delivered to the consumer. */
  readonly lastSeq: number;
}

/** What the shared poll needs of one open stream. */
interface Polled {
  readonly lastSeq: number;
  readonly lastLiveAt: number;
  /** Read what the log has after lastSeq (queued behind the stream's own work). */
  catchUp(): void;
}

const TERMINAL = new Set(['completed', 'failed', 'cancelled']);

/**
 * One subscriber's ordered view of a task: replay from Postgres after `afterSeq`, then live events,
 * with no gap and no duplicate at the seam. The live subscription is opened BEFORE the replay is read;
 * live events are applied through the same serial pump, skipped when already delivered, and a live
 * event that skips ahead makes the pump read the missing ones from the log first.
 *
 * The safety net against lost fan-out messages is one poll per task per process, not per stream: every
 * pollIntervalMs, each task whose streams heard no live event for that long gets one query (is there an
 * event after the furthest-behind stream?), and only then do its streams read the log. With thousands of
 * watchers a poll per stream was a query per watcher per period, and a poll waiting for a pooled
 * connection held back the live events queued behind it.
 */
export class TaskEventStreams {
  private readonly pageSize: number;
  private readonly pollIntervalMs: number;
  private readonly polled = new Map<string, Set<Polled>>();
  private timer?: NodeJS.Timeout;
  private polling = false;

  constructor(
    private readonly store: TaskStore,
    private readonly hub: TaskEventHub,
    options: TaskEventStreamOptions = {},
  ) {
    this.pageSize = options.pageSize ?? 500;
    this.pollIntervalMs = options.pollIntervalMs ?? 2000;
  }

  async open(
    taskId: string,
    afterSeq: number,
    deliver: (event: TaskEvent) => void | Promise<void>,
    onEnd?: () => void,
  ): Promise<OpenStream> {
    let lastSeq = afterSeq;
    let closed = false;
    let ended = false;
    let chain: Promise<void> = Promise.resolve();
    let lastLiveAt = 0;

    const emit = async (e: TaskEvent): Promise<void> => {
      if (closed || ended || e.seq !== lastSeq + 1) return;
      lastSeq = e.seq;
      await deliver(e);
      if (TERMINAL.has(e.type)) {
        ended = true;
        this.unpoll(taskId, polled);
        onEnd?.();
      }
    };
    const catchUp = async (uptoSeq?: number): Promise<void> => {
      while (!closed && !ended) {
        const page = await this.store.readEvents(taskId, lastSeq, this.pageSize, uptoSeq);
        for (const e of page) await emit(e);
        if (page.length < this.pageSize) return;
      }
    };
    const enqueue = (work: () => Promise<void>): Promise<void> => {
      chain = chain.then(work).catch(() => undefined);
      return chain;
    };
    const onLive = (e: TaskEvent): void => {
      lastLiveAt = Date.now();
      void enqueue(async () => {
        if (e.seq <= lastSeq) return;
        if (e.seq > lastSeq + 1) await catchUp(e.seq - 1);
        await emit(e);
      });
    };
    const polled: Polled = {
      get lastSeq() {
        return lastSeq;
      },
      get lastLiveAt() {
        return lastLiveAt;
      },
      catchUp: () => void enqueue(() => catchUp()),
    };

    const stopLive = await this.hub.watch(taskId, onLive);
    const handle: OpenStream = {
      get lastSeq() {
        return lastSeq;
      },
      close: async () => {
        if (closed) return;
        closed = true;
        this.unpoll(taskId, polled);
        await stopLive();
      },
    };
    await enqueue(() => catchUp());
    if (!ended && !closed) this.poll(taskId, polled);
    return handle;
  }

  private poll(taskId: string, stream: Polled): void {
    let set = this.polled.get(taskId);
    if (!set) this.polled.set(taskId, (set = new Set()));
    set.add(stream);
    if (!this.timer) {
      this.timer = setInterval(() => void this.pollAll(), this.pollIntervalMs);
      this.timer.unref();
    }
  }

  private unpoll(taskId: string, stream: Polled): void {
    const set = this.polled.get(taskId);
    if (!set?.delete(stream)) return;
    if (set.size === 0) this.polled.delete(taskId);
    if (this.polled.size === 0 && this.timer) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  /** One tick of the shared poll; a tick still running (slow database) makes the next one skip. */
  private async pollAll(): Promise<void> {
    if (this.polling) return;
    this.polling = true;
    try {
      const quietSince = Date.now() - this.pollIntervalMs;
      for (const [taskId, set] of [...this.polled]) {
        const streams = [...set];
        if (streams.some((s) => s.lastLiveAt > quietSince)) continue;
        const behind = Math.min(...streams.map((s) => s.lastSeq));
        const next = await this.store.readEvents(taskId, behind, 1).catch(() => []);
        if (next.length === 0) continue;
        for (const s of streams) s.catchUp();
      }
    } finally {
      this.polling = false;
    }
  }
}
