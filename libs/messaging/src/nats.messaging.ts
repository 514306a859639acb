import { connect, type JetStreamClient, type JetStreamManager, type NatsConnection, type Subscription } from 'nats';
import type { WorkStage } from '@spectest/contracts';
import { subjects } from '@spectest/contracts';
import type { ConsumeOptions, Messaging, PublishWorkOptions, Unsubscribe, WorkConsumer, WorkHandler } from './messaging.types';
import { defaultMessagingLogger, type MessagingLogger } from './messaging.logger';
import { ensureWorkConsumer, ensureWorkStream, prefixed, workConsumerName, workStreamName } from './nats-work.streams';
import { NatsWorkConsumer } from './nats-work.consumer';
import { encodeJson, decodeJson } from './json.codec';
import { resolveConsumeOptions } from './work.defaults';

/** A ping (readiness, a submit's check) waits this long for the broker's answer. */
const PING_TIMEOUT_MS = 2_000;

export interface NatsMessagingOptions {
  /** NATS server URL(s), e.g. nats://127.0.0.1:4222 (config NATS_URL). */
  url: string | string[];
  /** Namespace of every subject and of the work stream (config NATS_PREFIX), e.g. `spectest`. */
  prefix: string;
  /** Connection name shown by the server (monitoring), e.g. the service name. */
  name?: string;
  logger?: MessagingLogger;
}

/** Messaging over NATS: JetStream work queues (durable, at-least-once) and core NATS fan-out (best effort). */
export class NatsMessaging implements Messaging {
  private readonly consumers = new Set<NatsWorkConsumer>();
  private readonly subscriptions = new Set<Subscription>();
  private closing?: Promise<void>;
  private connected = true;

  private constructor(
    private readonly nc: NatsConnection,
    private readonly js: JetStreamClient,
    private readonly jsm: JetStreamManager,
    readonly prefix: string,
    private readonly logger: MessagingLogger,
  ) {
    this.watchStatus();
  }

  /** Connects and makes sure the work stream exists (idempotent: any number of processes may call it). */
  static async connect(options: NatsMessagingOptions): Promise<NatsMessaging> {
    if (!/^[A-Za-z0-9_-]+$/.test(options.prefix)) throw new Error(`NATS prefix must be one subject token, got "${options.prefix}"`);
    const nc = await connect({ servers: options.url, name: options.name, maxReconnectAttempts: -1 });
    try {
      const jsm = await nc.jetstreamManager();
      await ensureWorkStream(jsm, options.prefix);
      return new NatsMessaging(nc, nc.jetstream(), jsm, options.prefix, options.logger ?? defaultMessagingLogger());
    } catch (error) {
      await nc.close();
      throw error;
    }
  }

  /** Name of the JetStream stream holding this prefix's work (for tests and operations). */
  get streamName(): string {
    return workStreamName(this.prefix);
  }

  async publishWork(stage: WorkStage, payload: unknown, options: PublishWorkOptions = {}): Promise<void> {
    this.assertOpen();
    await this.js.publish(prefixed(this.prefix, subjects.work(stage)), encodeJson(payload), {
      ...(options.dedupId ? { msgID: options.dedupId } : {}),
      ...(options.timeoutMs ? { timeout: options.timeoutMs } : {}),
    });
  }

  async consumeWork(stage: WorkStage, handler: WorkHandler, options?: ConsumeOptions): Promise<WorkConsumer> {
    this.assertOpen();
    const resolved = resolveConsumeOptions(options);
    await ensureWorkConsumer(this.jsm, this.prefix, stage, resolved);
    const consumer = await this.js.consumers.get(this.streamName, workConsumerName(stage));
    const work = new NatsWorkConsumer(this.nc, consumer, stage, handler, resolved, this.logger);
    this.consumers.add(work);
    work.start();
    return {
      drain: async (timeoutMs?: number) => {
        await work.drain(timeoutMs);
        this.consumers.delete(work);
      },
    };
  }

  async publish(subject: string, payload: unknown): Promise<void> {
    this.assertOpen();
    this.nc.publish(prefixed(this.prefix, subject), encodeJson(payload));
  }

  async subscribe(subject: string, handler: (payload: unknown, subject: string) => void): Promise<Unsubscribe> {
    this.assertOpen();
    const strip = this.prefix.length + 1;
    const sub = this.nc.subscribe(prefixed(this.prefix, subject), {
      callback: (error, msg) => {
        if (error) return this.logger.error({ subject, err: String(error) }, 'subscription failed');
        const local = msg.subject.slice(strip);
        const decoded = decodeJson(msg.data);
        if (!decoded.ok) return this.logger.warn({ subject: local }, 'fan-out message is not JSON; dropped');
        try {
          handler(decoded.value, local);
        } catch (handlerError) {
          this.logger.error({ subject: local, err: String(handlerError) }, 'subscriber threw; message dropped');
        }
      },
    });
    this.subscriptions.add(sub);
    // Resolve once the server has the interest, so a publish from another connection right after is seen.
    // A broker outage meanwhile is no failure: the client sends the interest again on reconnect, and what
    // was published in between is the log's to replay (subscribers poll it).
    await this.nc.flush().catch((error: unknown) => {
      if (this.nc.isClosed()) throw error;
      this.logger.warn({ subject, err: String(error) }, 'subscribed while the broker is unreachable; the interest is sent on reconnect');
    });
    return async () => {
      if (!this.subscriptions.delete(sub)) return;
      sub.unsubscribe();
      if (!this.nc.isClosed()) await this.nc.flush();
    };
  }

  /** Fails at once while the client is disconnected (a round trip would wait for the reconnect). */
  async ping(): Promise<void> {
    this.assertOpen();
    if (!this.connected) throw Object.assign(new Error('the broker connection is down; reconnecting'), { code: 'DISCONNECT' });
    let timer: NodeJS.Timeout | undefined;
    const silent = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(Object.assign(new Error(`the broker did not answer a ping in ${PING_TIMEOUT_MS} ms`), { code: 'TIMEOUT' })), PING_TIMEOUT_MS);
    });
    try {
      await Promise.race([this.nc.rtt(), silent]);
    } finally {
      clearTimeout(timer);
    }
  }

  private watchStatus(): void {
    void (async () => {
      for await (const status of this.nc.status()) {
        if (status.type === 'disconnect') this.connected = false;
        else if (status.type === 'reconnect') this.connected = true;
      }
    })().catch(() => undefined);
  }

  close(): Promise<void> {
    this.closing ??= this.closeOnce();
    return this.closing;
  }

  private async closeOnce(): Promise<void> {
    await Promise.all([...this.consumers].map((consumer) => consumer.drain()));
    this.consumers.clear();
    for (const sub of this.subscriptions) sub.unsubscribe();
    this.subscriptions.clear();
    // drain() flushes the acks and naks sent above before the socket closes.
    if (!this.nc.isClosed()) await this.nc.drain();
  }

  private assertOpen(): void {
    if (this.closing || this.nc.isClosed()) throw new Error('messaging is closed');
  }
}
