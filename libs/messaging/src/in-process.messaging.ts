import type { WorkStage } from '@spectest/contracts';
import type { ConsumeOptions, Messaging, PublishWorkOptions, Unsubscribe, WorkConsumer, WorkHandler } from './messaging.types';
import { defaultMessagingLogger, type MessagingLogger } from './messaging.logger';
import { InProcessWorkQueue } from './in-process-work.queue';
import { InProcessWorkConsumer } from './in-process-work.consumer';
import { assertValidSubject, subjectMatches } from './subject.matcher';
import { toJsonText } from './json.codec';
import { WORK_DEDUP_WINDOW_MS, resolveConsumeOptions } from './work.defaults';

interface LocalSubscription {
  pattern: string;
  handler: (payload: unknown, subject: string) => void;
  active: boolean;
}

export interface InProcessMessagingOptions {
  logger?: MessagingLogger;
}

/**
 * Messaging for the single-process embedded mode, with the semantics of NatsMessaging (it passes the
 * same conformance suite). Payloads go through JSON, so a handler never shares an object with its
 * publisher and what cannot cross NATS cannot cross here either. Work is held in memory only: it does
 * not survive the process, which in embedded mode is also the process doing the work (the reaper
 * picks up tasks whose work was lost).
 */
export class InProcessMessaging implements Messaging {
  private readonly queues = new Map<WorkStage, InProcessWorkQueue>();
  private readonly consumers = new Set<InProcessWorkConsumer>();
  private readonly subscriptions = new Set<LocalSubscription>();
  /** Dedup ids by first publish time, oldest first (Map keeps insertion order). */
  private readonly dedupIds = new Map<string, number>();
  private readonly logger: MessagingLogger;
  private closing?: Promise<void>;

  constructor(options: InProcessMessagingOptions = {}) {
    this.logger = options.logger ?? defaultMessagingLogger();
  }

  async publishWork(stage: WorkStage, payload: unknown, options: PublishWorkOptions = {}): Promise<void> {
    if (options.dedupId && this.seenRecently(options.dedupId)) return;
    this.publishRawWork(stage, toJsonText(payload));
  }

  /** The broker's duplicate window: an id published within it is stored once. */
  private seenRecently(id: string): boolean {
    const now = Date.now();
    for (const [seen, at] of this.dedupIds) {
      if (now - at < WORK_DEDUP_WINDOW_MS) break;
      this.dedupIds.delete(seen);
    }
    if (this.dedupIds.has(id)) return true;
    this.dedupIds.set(id, now);
    return false;
  }

  /** Test seam: what a foreign producer that does not speak JSON would put on the queue. */
  publishRawWork(stage: WorkStage, data: string): void {
    this.assertOpen();
    this.queue(stage).enqueue(data);
  }

  async consumeWork(stage: WorkStage, handler: WorkHandler, options?: ConsumeOptions): Promise<WorkConsumer> {
    this.assertOpen();
    const consumer = new InProcessWorkConsumer(this.queue(stage), stage, handler, resolveConsumeOptions(options), this.logger);
    this.consumers.add(consumer);
    return {
      drain: async (timeoutMs?: number) => {
        await consumer.drain(timeoutMs);
        this.consumers.delete(consumer);
      },
    };
  }

  async publish(subject: string, payload: unknown): Promise<void> {
    this.assertOpen();
    assertValidSubject(subject, false);
    const text = toJsonText(payload);
    for (const sub of this.subscriptions) {
      if (!subjectMatches(sub.pattern, subject)) continue;
      setImmediate(() => {
        if (!sub.active) return;
        try {
          sub.handler(JSON.parse(text), subject);
        } catch (error) {
          this.logger.error({ subject, err: String(error) }, 'subscriber threw; message dropped');
        }
      });
    }
  }

  async subscribe(subject: string, handler: (payload: unknown, subject: string) => void): Promise<Unsubscribe> {
    this.assertOpen();
    assertValidSubject(subject, true);
    const sub: LocalSubscription = { pattern: subject, handler, active: true };
    this.subscriptions.add(sub);
    return async () => {
      sub.active = false;
      this.subscriptions.delete(sub);
    };
  }

  async ping(): Promise<void> {
    this.assertOpen();
  }

  close(): Promise<void> {
    this.closing ??= this.closeOnce();
    return this.closing;
  }

  private async closeOnce(): Promise<void> {
    await Promise.all([...this.consumers].map((consumer) => consumer.drain()));
    this.consumers.clear();
    for (const sub of this.subscriptions) sub.active = false;
    this.subscriptions.clear();
    for (const queue of this.queues.values()) queue.close();
  }

  private queue(stage: WorkStage): InProcessWorkQueue {
    let queue = this.queues.get(stage);
    if (!queue) {
      queue = new InProcessWorkQueue();
      this.queues.set(stage, queue);
    }
    return queue;
  }

  private assertOpen(): void {
    if (this.closing) throw new Error('messaging is closed');
  }
}
