import type { WorkStage } from '@spectest/contracts';
import { subjects } from '@spectest/contracts';
import type { WorkConsumer, WorkHandler } from './messaging.types';
import type { MessagingLogger } from './messaging.logger';
import { InFlightTracker } from './in-flight.tracker';
import type { InProcessWorkQueue, QueuedWork } from './in-process-work.queue';
import { runWorkDelivery, type WorkOutcome } from './work-delivery.runner';
import { WORK_DEFAULTS, type ResolvedConsumeOptions } from './work.defaults';

interface ActiveDelivery {
  release(): void;
}

/**
 * In-memory twin of NatsWorkConsumer: same outcomes (shared runner), same ack-wait redelivery,
 * same concurrency bound and drain. Deliveries start on a later turn of the event loop, never
 * inside publishWork, so a publisher never runs a handler on its own stack.
 */
export class InProcessWorkConsumer implements WorkConsumer {
  private readonly inFlight: InFlightTracker;
  private readonly active = new Set<ActiveDelivery>();
  private readonly stopListening: () => void;
  private pumpScheduled = false;
  private stopping = false;
  private draining?: Promise<void>;

  constructor(
    private readonly queue: InProcessWorkQueue,
    private readonly stage: WorkStage,
    private readonly handler: WorkHandler,
    private readonly options: ResolvedConsumeOptions,
    private readonly logger: MessagingLogger,
  ) {
    this.inFlight = new InFlightTracker(options.concurrency);
    this.stopListening = queue.onAvailable(() => this.schedulePump());
    this.schedulePump();
  }

  drain(timeoutMs: number = WORK_DEFAULTS.drainTimeoutMs): Promise<void> {
    this.draining ??= this.drainOnce(timeoutMs);
    return this.draining;
  }

  private async drainOnce(timeoutMs: number): Promise<void> {
    this.stopping = true;
    this.stopListening();
    if (!(await this.inFlight.idle(timeoutMs))) {
      this.logger.warn({ subject: subjects.work(this.stage), inFlight: this.active.size }, 'drain timed out; releasing in-flight work');
      for (const delivery of [...this.active]) delivery.release();
    }
  }

  private schedulePump(): void {
    if (this.pumpScheduled || this.stopping) return;
    this.pumpScheduled = true;
    setImmediate(() => {
      this.pumpScheduled = false;
      const gate = this.options.gate;
      if (gate && !gate.isOpen()) {
        // Like the pull loop: no work is taken while a dependency is down.
        void gate.whenOpen().then(() => this.schedulePump());
        return;
      }
      while (!this.stopping && this.inFlight.free > 0) {
        const work = this.queue.take();
        if (!work) break;
        this.deliver(work);
      }
    });
  }

  private deliver(work: QueuedWork): void {
    work.deliveries += 1;
    let state: 'running' | 'settled' | 'expired' = 'running';
    let ackTimer: NodeJS.Timeout | undefined;
    const armAckWait = (): void => {
      clearTimeout(ackTimer);
      ackTimer = setTimeout(() => {
        // Like the broker: no ack and no inProgress within ackWait means the holder is presumed dead.
        if (state !== 'running') return;
        state = 'expired';
        if (work.deliveries <= this.options.maxDeliver) this.queue.requeue(work, 0);
      }, this.options.ackWaitMs);
    };
    const released = new AbortController();
    const settle = (outcome: WorkOutcome): void => {
      if (state === 'settled') return;
      // Abandoned: no more progress, so the ack-wait timer (if still armed) hands the message out again.
      if (outcome.kind === 'abandon') return;
      clearTimeout(ackTimer);
      const wasRunning = state === 'running';
      state = 'settled';
      // A late ack after an ack-wait redelivery still removes the message, as JetStream does.
      if (outcome.kind !== 'nak') work.done = true;
      else if (wasRunning) this.queue.requeue(work, outcome.delayMs);
    };
    const active: ActiveDelivery = {
      release: () => {
        released.abort();
        if (state === 'running') settle({ kind: 'nak', delayMs: 0 });
      },
    };
    this.active.add(active);
    this.inFlight.enter();
    armAckWait();
    void runWorkDelivery({
      subject: subjects.work(this.stage),
      data: work.data,
      delivery: {
        attempt: work.deliveries,
        inProgress: () => {
          if (state === 'running') armAckWait();
        },
      },
      handler: this.handler,
      options: this.options,
      logger: this.logger,
      signal: released.signal,
    })
      .then(settle)
      .finally(() => {
        this.active.delete(active);
        this.inFlight.leave();
        this.schedulePump();
      });
  }
}
