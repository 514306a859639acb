import { TaskEvent, isTerminalEvent } from '@spectest/contracts';

/** Where an outbox writes: one Socket.IO socket. */
export interface OutboxSink {
  /** True while the socket has more unsent packets than it may hold. */
  backedUp(): boolean;
  send(event: TaskEvent): void;
}

interface Pending {
  event: TaskEvent;
  /** Never replaced: a terminal event, or the first event of a stage. */
  keep: boolean;
}

/**
 * The slow-consumer guard of one socket. While the socket keeps up, events go straight out. Once its
 * write buffer is over the limit, events wait here per task, and a progress event replaces the pending
 * progress event before it, so what waits for a socket that cannot keep up is bounded: per task, the
 * first event of each stage, the terminal event and the latest progress. Other sockets never wait on
 * this one (nothing here blocks), and its memory does not grow with the event rate.
 *
 * A coalesced event shows up at the client as a seq jump; a client that wants every event fills it
 * by resubscribing with afterSeq = the last seq it has (the SDK does), and gets them from the log.
 */
export class SocketOutbox {
  private readonly pending = new Map<string, Pending[]>();
  /** The stage of the last event sent or queued per task, to tell a stage's first event. */
  private readonly stageOf = new Map<string, string | null>();
  private coalescedCount = 0;
  /** Callers of whenClear, woken by the flush that leaves the socket clear (or by close). */
  private waiters: (() => void)[] = [];

  constructor(private readonly sink: OutboxSink) {}

  push(event: TaskEvent): void {
    const firstOfStage = this.stageOf.get(event.taskId) !== event.stage;
    this.stageOf.set(event.taskId, event.stage);
    if (this.pending.size === 0 && !this.sink.backedUp()) return this.send(event);
    const keep = isTerminalEvent(event) || firstOfStage;
    let queue = this.pending.get(event.taskId);
    if (!queue) this.pending.set(event.taskId, (queue = []));
    const last = queue.at(-1);
    if (!keep && last && !last.keep) {
      last.event = event;
      this.coalescedCount++;
      return;
    }
    queue.push({ event, keep });
  }

  /** Sends what waits, task by task in seq order, until the socket is backed up again. Call on drain. */
  flush(): void {
    for (const [taskId, queue] of this.pending) {
      while (queue.length > 0) {
        if (this.sink.backedUp()) return;
        this.send(queue.shift()!.event);
      }
      this.pending.delete(taskId);
    }
    if (this.waiters.length > 0 && !this.sink.backedUp()) this.wake();
  }

  /**
   * Resolves once the socket is clear (see `clear`): a replay reads its next page of the log only when the
   * socket has taken the last one, so a resume is paced by the client instead of filling its buffer
   * (where the progress events of a long replay would be coalesced).
   */
  whenClear(): Promise<void> {
    if (this.clear) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** The socket is gone: wake whoever waits (they see their subscription closed). */
  close(): void {
    this.pending.clear();
    this.wake();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  private send(event: TaskEvent): void {
    // After the terminal event nothing more comes for the task: drop its stage memory.
    if (isTerminalEvent(event)) this.stageOf.delete(event.taskId);
    this.sink.send(event);
  }

  /** Forget a task (unsubscribed or resubscribed): what waits for it would break the new subscription's order. */
  forget(taskId: string): void {
    this.pending.delete(taskId);
    this.stageOf.delete(taskId);
  }

  /**
   * True when an event may skip the outbox and go straight to the socket (for instance in a room broadcast
   * encoded once for every socket): nothing waits here and the socket keeps up. Such an event is not seen
   * by push, so the stage memory may lag behind; stages only move forward, so a stale stage can only make
   * an event look like the first of its stage (kept), never hide a real first one.
   */
  get clear(): boolean {
    return this.pending.size === 0 && !this.sink.backedUp();
  }

  /** Events waiting (for tests and metrics). */
  get pendingEvents(): number {
    let n = 0;
    for (const q of this.pending.values()) n += q.length;
    return n;
  }

  /** Progress events replaced by a later one since the socket opened. */
  get coalesced(): number {
    return this.coalescedCount;
  }
}
