import type { Consumer, JsMsg, NatsConnection } from 'nats';
import type { WorkStage } from '@spectest/contracts';
import { subjects } from '@spectest/contracts';
import type { WorkConsumer, WorkHandler } from './messaging.types';
import type { MessagingLogger } from './messaging.logger';
import { InFlightTracker } from './in-flight.tracker';
import { runWorkDelivery, type WorkOutcome } from './work-delivery.runner';
import { WORK_DEFAULTS, type ResolvedConsumeOptions } from './work.defaults';

/** Shortest pull the client allows; also how long drain() may wait for an open pull to end. */
const PULL_EXPIRES_MS = 1_000;
const ERROR_PAUSE_MS = 500;

interface ActiveDelivery {
  /** Hand the message back to the broker now (drain timeout); the handler's late result is ignored. */
  release(): void;
}

/**
 * Pull loop of one durable consumer. It fetches only as many messages as it has free slots, so a
 * message is never held by a process that is not working on it, and other processes can take it.
 */
export class NatsWorkConsumer implements WorkConsumer {
  private readonly inFlight: InFlightTracker;
  private readonly active = new Set<ActiveDelivery>();
  private stopping = false;
  private loopDone: Promise<void> = Promise.resolve();
  private draining?: Promise<void>;

  constructor(
    private readonly nc: NatsConnection,
    private readonly consumer: Consumer,
    private readonly stage: WorkStage,
    private readonly handler: WorkHandler,
    private readonly options: ResolvedConsumeOptions,
    private readonly logger: MessagingLogger,
  ) {
    this.inFlight = new InFlightTracker(options.concurrency);
  }

  start(): void {
    this.loopDone = this.pullLoop();
  }

  drain(timeoutMs: number = WORK_DEFAULTS.drainTimeoutMs): Promise<void> {
    this.draining ??= this.drainOnce(timeoutMs);
    return this.draining;
  }

  private async drainOnce(timeoutMs: number): Promise<void> {
    this.stopping = true;
    const [idle] = await Promise.all([this.inFlight.idle(timeoutMs), this.loopDone]);
    if (!idle) {
      this.logger.warn({ subject: subjects.work(this.stage), inFlight: this.active.size }, 'drain timed out; releasing in-flight work');
      for (const delivery of [...this.active]) delivery.release();
    }
  }

  private async pullLoop(): Promise<void> {
    let failing = false;
    while (!this.stopping && !this.nc.isClosed()) {
      const free = this.inFlight.free;
      if (free === 0) {
        await this.inFlight.changed(PULL_EXPIRES_MS);
        continue;
      }
      // While a dependency is down, take no work: every delivery would fail and count as an attempt.
      const gate = this.options.gate;
      if (gate && !gate.isOpen()) {
        await Promise.race([gate.whenOpen(), this.inFlight.changed(PULL_EXPIRES_MS)]);
        continue;
      }
      try {
        const batch = await this.consumer.fetch({ max_messages: free, expires: PULL_EXPIRES_MS });
        for await (const msg of batch) {
          // A pull still open when drain began may deliver: give it straight back.
          if (this.stopping) msg.nak();
          else this.startDelivery(msg);
        }
        if (failing) this.logger.info({ subject: subjects.work(this.stage) }, 'work pull works again');
        failing = false;
      } catch (error) {
        if (this.stopping || this.nc.isClosed()) break;
        // One line per outage, not one per retry.
        if (!failing) this.logger.error({ subject: subjects.work(this.stage), err: String(error) }, 'work pull failed; retrying');
        failing = true;
        gate?.suspect();
        await new Promise((resolve) => setTimeout(resolve, ERROR_PAUSE_MS));
      }
    }
  }

  private startDelivery(msg: JsMsg): void {
    let settled = false;
    const released = new AbortController();
    const settle = (outcome: WorkOutcome): void => {
      if (settled) return;
      settled = true;
      try {
        if (outcome.kind === 'ack') msg.ack();
        else if (outcome.kind === 'nak') msg.nak(outcome.delayMs);
        // No reason with the term: servers before 2.10.4 do not parse "+TERM <reason>" and leave the
        // message pending, to come back once more. The reason is in our log line instead.
        else if (outcome.kind === 'term') msg.term();
      } catch (error) {
        // Connection gone: the broker redelivers after ack_wait, which is the at-least-once promise.
        this.logger.warn({ subject: subjects.work(this.stage), err: String(error) }, 'could not settle work message');
      }
    };
    const active: ActiveDelivery = {
      release: () => {
        released.abort();
        settle({ kind: 'nak', delayMs: 0 });
      },
    };
    this.active.add(active);
    this.inFlight.enter();
    void runWorkDelivery({
      subject: subjects.work(this.stage),
      data: msg.string(),
      delivery: {
        attempt: msg.info.deliveryCount,
        inProgress: () => {
          if (!settled) msg.working();
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
      });
  }
}
