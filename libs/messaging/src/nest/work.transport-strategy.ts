import { Server, type CustomTransportStrategy } from '@nestjs/microservices';
import { lastValueFrom } from 'rxjs';
import { WORK_STAGES, subjects, type WorkStage } from '@spectest/contracts';
import type { ConsumeOptions, Messaging, WorkConsumer, WorkDelivery } from '../messaging.types';
import { WORK_DEFAULTS } from '../work.defaults';
import { WorkContext } from './work.context';

/** Identifies this transport to Nest hooks and `@Ctx()` consumers. */
export const WORK_TRANSPORT_ID = Symbol('spectest-work');

export interface WorkTransportOptions {
  /** Consume options per stage (concurrency, maxDeliver, ackWaitMs, retryBackoffMs, onGiveUp). */
  consume?: Partial<Record<WorkStage, ConsumeOptions>>;
  /** How long close() waits for in-flight handlers before releasing their messages (default 10 s). */
  drainTimeoutMs?: number;
}

/**
 * Nest microservice transport over our Messaging work queues (JetStream or in-process), instead of
 * Nest's NATS transport, which is fire-and-forget core NATS (nestjs/nest#13198). A controller method
 * with `@EventPattern(subjects.work(stage))` becomes that stage's worker; the message is acked only
 * when the method's promise (or observable) completes, and its error decides retry or term.
 * It does not close the Messaging: whoever created it does (one instance may serve several apps).
 */
export class WorkTransportStrategy extends Server implements CustomTransportStrategy {
  override transportId: symbol = WORK_TRANSPORT_ID;
  private consumers: WorkConsumer[] = [];

  constructor(
    private readonly messaging: Messaging,
    private readonly options: WorkTransportOptions = {},
  ) {
    super();
  }

  async listen(callback: (error?: unknown) => void): Promise<void> {
    try {
      for (const stage of WORK_STAGES) {
        if (!this.getHandlerByPattern(subjects.work(stage))) continue;
        const consumer = await this.messaging.consumeWork(
          stage,
          (payload, delivery) => this.handleWork(stage, payload, delivery),
          this.options.consume?.[stage],
        );
        this.consumers.push(consumer);
      }
    } catch (error) {
      await this.close();
      return callback(error);
    }
    callback();
  }

  async close(): Promise<void> {
    const consumers = this.consumers;
    this.consumers = [];
    await Promise.all(consumers.map((consumer) => consumer.drain(this.options.drainTimeoutMs ?? WORK_DEFAULTS.drainTimeoutMs)));
  }

  /** No transport events: readiness is Messaging.ping(). */
  on(): void {
    return undefined;
  }

  unwrap<T>(): T {
    return this.messaging as T;
  }

  private handleWork(stage: WorkStage, payload: unknown, delivery: WorkDelivery): Promise<void> {
    const handler = this.getHandlerByPattern(subjects.work(stage));
    if (!handler) return Promise.reject(new Error(`no handler for ${subjects.work(stage)}`));
    const context = new WorkContext([stage, delivery]);
    // A long stage (model calls take minutes) keeps telling the broker it is alive, so its message is
    // not handed to another worker meanwhile; a crashed process stops beating and the message moves on.
    const ackWaitMs = this.options.consume?.[stage]?.ackWaitMs ?? WORK_DEFAULTS.ackWaitMs;
    const heartbeat = setInterval(() => delivery.inProgress(), Math.max(100, Math.floor(ackWaitMs / 5)));
    return new Promise<void>((resolve, reject) => {
      // The hooks let Nest (or tracing) wrap processing; the settle still waits for the handler.
      this.onProcessingStartHook(this.transportId, context, async () => {
        try {
          const result = await handler(payload, context);
          await lastValueFrom(this.transformToObservable(result), { defaultValue: undefined });
          resolve();
        } catch (error) {
          reject(error);
        } finally {
          clearInterval(heartbeat);
          this.onProcessingEndHook?.(this.transportId, context);
        }
      });
    });
  }
}
