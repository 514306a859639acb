import type { WorkStage } from '@spectest/contracts';

/** Thrown by a work handler to ask for a later retry (the message is nak'ed with a delay). */
export class RetryLaterError extends Error {
  constructor(message: string, readonly delayMs = 1000) {
    super(message);
    this.name = 'RetryLaterError';
  }
}

/** Thrown by a work handler (or raised by the transport for an unparseable message): never retry (JetStream `term`). */
export class PoisonMessageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PoisonMessageError';
  }
}

/**
 * Thrown by a work handler that finds another delivery of the same message doing the work (the broker
 * redelivered it while this holder was cut off): this delivery is left unsettled, neither acked (the
 * other holder may still die and need the message back) nor nak'ed (that would hand it out a third time).
 */
export class DeliverySupersededError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'DeliverySupersededError';
  }
}

/**
 * Open while the dependencies of the handlers (database, broker) answer. A consumer pulls no work while
 * it is closed, and a handler that failed for a transient reason is run again, in place, once it opens:
 * an outage spends no delivery attempt.
 */
export interface WorkGate {
  isOpen(): boolean;
  /** Resolves once open (at once when open), or when `signal` aborts. */
  whenOpen(signal?: AbortSignal): Promise<void>;
  /** A handler or the pull saw a dependency fail: check now, and stay closed until the check passes. */
  suspect(): void;
}

export interface PublishWorkOptions {
  /**
   * Broker-side de-duplication id: a second publish with the same id within the stream's duplicate
   * window (2 minutes) is dropped. A dispatch is published under one id, so a re-publish of it is harmless.
   */
  dedupId?: string;
  /** How long to wait for the broker to store the message (default: the client's, 5 s). */
  timeoutMs?: number;
}

export interface WorkDelivery {
  /** 1 on first delivery, then 2, 3, ... on redeliveries. */
  attempt: number;
  /** Tells the broker we are still working (JetStream `working`), so a long stage is not redelivered. */
  inProgress(): void;
}

/**
 * Handler of one stage's work. Resolving acks the message (after the handler committed its effects);
 * throwing RetryLaterError naks with delay; PoisonMessageError terms; any other error naks with backoff
 * until `maxDeliver`, after which `onGiveUp` of the consumer options runs and the message is termed.
 */
export type WorkHandler = (payload: unknown, delivery: WorkDelivery) => Promise<void>;

export interface ConsumeOptions {
  /** Concurrent messages in flight for this consumer in this process. */
  concurrency?: number;
  /** Deliveries before giving up (default 5). */
  maxDeliver?: number;
  /** How long a delivery may go without ack/inProgress before the broker redelivers it (default 30 s). */
  ackWaitMs?: number;
  /**
   * Delay before redelivery after a handler error, by attempt (1st failure -> [0], ...; the last value
   * repeats). Default [1 s, 5 s, 15 s, 30 s]. RetryLaterError uses its own delay instead.
   */
  retryBackoffMs?: number[];
  /**
   * Called when a message is given up after maxDeliver attempts (to fail the task with a clear code). If it
   * throws, the give-up is tried again later (the message is redelivered, straight to onGiveUp).
   */
  onGiveUp?: (payload: unknown, error: unknown) => Promise<void>;
  /** Called for a poison message (PoisonMessageError) before it is terminated, e.g. to fail its task at once. */
  onPoison?: (payload: unknown, error: PoisonMessageError) => Promise<void>;
  /** Dependencies of the handler; see WorkGate. Without one, transient failures are retried in place after a pause. */
  gate?: WorkGate;
  /** Whether an error means a dependency is down (retried in place, no attempt spent). Default: none is. */
  isTransient?: (error: unknown) => boolean;
}

export interface WorkConsumer {
  /** Stop taking new messages, wait for in-flight handlers up to `timeoutMs`, then release what is left. */
  drain(timeoutMs?: number): Promise<void>;
}

export type Unsubscribe = () => Promise<void>;

/**
 * The messaging the system needs, with two implementations that pass the same conformance tests:
 * NATS (JetStream work queues + core NATS fan-out) and in-process (the embedded mode).
 */
export interface Messaging {
  /** Durable, at-least-once work for a stage worker. Resolves once the broker stored the message. */
  publishWork(stage: WorkStage, payload: unknown, options?: PublishWorkOptions): Promise<void>;
  consumeWork(stage: WorkStage, handler: WorkHandler, options?: ConsumeOptions): Promise<WorkConsumer>;
  /** Best-effort fan-out (core NATS): events after commit, control messages. Subjects from contracts. */
  publish(subject: string, payload: unknown): Promise<void>;
  /** Subscribe to a subject or wildcard; the handler gets the subject and the decoded JSON payload. */
  subscribe(subject: string, handler: (payload: unknown, subject: string) => void): Promise<Unsubscribe>;
  /** Throws when the broker is unreachable (readiness). */
  ping(): Promise<void>;
  /** Drain consumers and subscriptions, then close the connection. */
  close(): Promise<void>;
}
