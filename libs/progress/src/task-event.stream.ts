import { TaskEvent } from '@spectest/contracts';
import type { TaskStore } from '@spectest/persistence';
import { TaskEventHub } from './task-event.hub';

export interface TaskEventStreamOptions {
  /** Events read from Postgres per query during replay. */
  pageSize?: number;
  /** Safety net against a lost fan-out message: how often an idle stream re-reads the log. */
  pollIntervalMs?: number;
}

export interface OpenStream {
  close(): Promise<void>;
  /** The last seq delivered to the consumer. */
  readonly lastSeq: number;
}

const TERMINAL = new Set(['completed', 'failed', 'cancelled']);

/**
 * One subscriber's ordered view of a task: replay from Postgres after `afterSeq`, then live events,
 * with no gap and no duplicate at the seam. The live subscription is opened BEFORE the replay is read;
 * live events are applied through the same serial pump, skipped when already delivered, and a live
 * event that skips ahead makes the pump read the missing ones from the log first.
 */
export class TaskEventStreams {
  private readonly pageSize: number;
  private readonly pollIntervalMs: number;

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
    let timer: NodeJS.Timeout | undefined;

    const emit = async (e: TaskEvent): Promise<void> => {
      if (closed || ended || e.seq !== lastSeq + 1) return;
      lastSeq = e.seq;
      await deliver(e);
      if (TERMINAL.has(e.type)) {
        ended = true;
        if (timer) clearInterval(timer);
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
      void enqueue(async () => {
        if (e.seq <= lastSeq) return;
        if (e.seq > lastSeq + 1) await catchUp(e.seq - 1);
        await emit(e);
      });
    };

    const stopLive = await this.hub.watch(taskId, onLive);
    const handle: OpenStream = {
      get lastSeq() {
        return lastSeq;
      },
      close: async () => {
        if (closed) return;
        closed = true;
        if (timer) clearInterval(timer);
        await stopLive();
      },
    };
    await enqueue(() => catchUp());
    if (!ended && !closed) {
      timer = setInterval(() => void enqueue(() => catchUp()), this.pollIntervalMs);
      timer.unref();
    }
    return handle;
  }
}
