/** One published work message held in memory; `deliveries` is the broker's delivery count. */
export interface QueuedWork {
  data: string;
  deliveries: number;
  /** Acked or terminated: a copy still waiting in the queue (after an ack-wait redelivery) is skipped. */
  done: boolean;
}

/** The in-memory counterpart of one stage's JetStream filter subject: FIFO, with delayed redelivery. */
export class InProcessWorkQueue {
  private ready: QueuedWork[] = [];
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly listeners = new Set<() => void>();

  enqueue(data: string): void {
    this.ready.push({ data, deliveries: 0, done: false });
    this.notify();
  }

  requeue(work: QueuedWork, delayMs: number): void {
    if (delayMs <= 0) {
      this.ready.push(work);
      this.notify();
      return;
    }
    const timer = setTimeout(() => {
      this.timers.delete(timer);
      this.ready.push(work);
      this.notify();
    }, delayMs);
    this.timers.add(timer);
  }

  take(): QueuedWork | undefined {
    for (let work = this.ready.shift(); work; work = this.ready.shift()) {
      if (!work.done) return work;
    }
    return undefined;
  }

  /** Listener is told when work may be available; returns the function that removes it. */
  onAvailable(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  close(): void {
    for (const timer of this.timers) clearTimeout(timer);
    this.timers.clear();
    this.ready = [];
    this.listeners.clear();
  }

  private notify(): void {
    for (const listener of this.listeners) listener();
  }
}
