import { DeliverySupersededError, PoisonMessageError, RetryLaterError, type WorkDelivery, type WorkHandler } from './messaging.types';
import type { MessagingLogger } from './messaging.logger';
import { backoffFor, type ResolvedConsumeOptions } from './work.defaults';

/**
 * What the transport does with a delivery once its handler settled. `abandon`: nothing (no ack, no nak,
 * no more progress), so the broker hands the message out again only if its other holder goes silent.
 */
export type WorkOutcome = { kind: 'ack' } | { kind: 'nak'; delayMs: number } | { kind: 'term'; reason: string } | { kind: 'abandon' };

/** Given to onGiveUp when a message arrives past maxDeliver (its previous holder died on the last attempt). */
export class MaxDeliverExceededError extends Error {
  readonly code = 'max_deliver_exceeded';
  constructor(readonly attempt: number) {
    super(`delivery ${attempt} is past maxDeliver`);
    this.name = 'MaxDeliverExceededError';
  }
}

/** Transient failures one delivery retries in place before it counts as an ordinary failed attempt. */
export const MAX_IN_PLACE_RETRIES = 20;
/** Deliveries past maxDeliver spent on a give-up that cannot be written before the message is dropped. */
export const MAX_GIVE_UP_RETRIES = 20;
/** Pause between in-place retries once the gate is open again (doubling, at most 30 s). */
const IN_PLACE_PAUSE_MS = 500;

export interface WorkDeliveryInput {
  /** Subject without prefix, for logs. */
  subject: string;
  /** The message body as published: JSON text. */
  data: string;
  delivery: WorkDelivery;
  handler: WorkHandler;
  options: ResolvedConsumeOptions;
  logger: MessagingLogger;
  /** Aborted when the consumer releases the delivery (drain timeout): in-place waits stop at once. */
  signal?: AbortSignal;
}

/**
 * The one place that maps a handler's result to ack / nak / term, shared by the NATS and the in-process
 * transport so they cannot drift apart. Never throws: a transport loop must survive any message.
 * A transient failure (a dependency is down) is not a failed attempt: the handler runs again in place
 * once the gate opens, so an outage of minutes spends no delivery.
 */
export async function runWorkDelivery(input: WorkDeliveryInput): Promise<WorkOutcome> {
  const { subject, delivery, options, logger } = input;
  const attempt = delivery.attempt;
  let payload: unknown;
  try {
    payload = JSON.parse(input.data);
  } catch {
    logger.error({ subject, attempt, bytes: input.data.length }, 'work message is not JSON; terminated');
    return { kind: 'term', reason: 'not_json' };
  }
  if (attempt > options.maxDeliver) {
    return giveUp(input, payload, new MaxDeliverExceededError(attempt));
  }
  for (let inPlace = 0; ; inPlace += 1) {
    try {
      await input.handler(payload, delivery);
      return { kind: 'ack' };
    } catch (error) {
      if (error instanceof PoisonMessageError) return poison(input, payload, error);
      if (error instanceof DeliverySupersededError) {
        logger.warn({ subject, attempt, err: describe(error) }, 'another delivery holds this work; leaving this one');
        return { kind: 'abandon' };
      }
      if (options.isTransient(error) && inPlace < MAX_IN_PLACE_RETRIES && !input.signal?.aborted) {
        logger.warn({ subject, attempt, retry: inPlace + 1, err: describe(error) }, 'a dependency is down; retrying in place once it is back');
        if (!(await pauseInPlace(input, inPlace))) return { kind: 'nak', delayMs: 0 };
        continue;
      }
      if (attempt >= options.maxDeliver) return giveUp(input, payload, error);
      const delayMs = error instanceof RetryLaterError ? error.delayMs : backoffFor(attempt, options.retryBackoffMs);
      logger.warn({ subject, attempt, delayMs, err: describe(error) }, 'work handler failed; will retry');
      return { kind: 'nak', delayMs };
    }
  }
}

/** Waits for the gate and a short pause; false when the delivery was released meanwhile. */
async function pauseInPlace(input: WorkDeliveryInput, retry: number): Promise<boolean> {
  const { options, signal, delivery } = input;
  options.gate?.suspect();
  // Progress keeps the broker from handing the message to someone else while this holder waits.
  const beat = setInterval(() => delivery.inProgress(), Math.max(100, Math.floor(options.ackWaitMs / 5)));
  try {
    await options.gate?.whenOpen(signal);
    const pause = Math.min(30_000, IN_PLACE_PAUSE_MS * 2 ** retry);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, pause);
      signal?.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
    });
    return !signal?.aborted;
  } finally {
    clearInterval(beat);
  }
}

async function poison(input: WorkDeliveryInput, payload: unknown, error: PoisonMessageError): Promise<WorkOutcome> {
  const { subject, delivery, options, logger } = input;
  logger.error({ subject, attempt: delivery.attempt, err: describe(error) }, 'work message is poison; terminated');
  try {
    await options.onPoison?.(payload, error);
  } catch (hookError) {
    logger.error({ subject, err: describe(hookError) }, 'onPoison failed');
  }
  return { kind: 'term', reason: 'poison' };
}

async function giveUp(input: WorkDeliveryInput, payload: unknown, error: unknown): Promise<WorkOutcome> {
  const { subject, delivery, options, logger } = input;
  logger.error({ subject, attempt: delivery.attempt, err: describe(error) }, 'work message given up after maxDeliver');
  for (let inPlace = 0; ; inPlace += 1) {
    try {
      await options.onGiveUp?.(payload, error);
      return { kind: 'term', reason: 'max_deliver' };
    } catch (hookError) {
      if (options.isTransient(hookError) && inPlace < MAX_IN_PLACE_RETRIES && !input.signal?.aborted) {
        if (await pauseInPlace(input, inPlace)) continue;
        return { kind: 'nak', delayMs: 0 };
      }
      if (delivery.attempt >= options.maxDeliver + MAX_GIVE_UP_RETRIES) {
        logger.error({ subject, attempt: delivery.attempt, err: describe(hookError) }, 'onGiveUp kept failing; message dropped (the reaper ends the task at its deadline)');
        return { kind: 'term', reason: 'max_deliver' };
      }
      // The task must still be failed: keep the message and try the give-up again on its next delivery.
      const delayMs = backoffFor(options.retryBackoffMs.length, options.retryBackoffMs);
      logger.error({ subject, attempt: delivery.attempt, delayMs, err: describe(hookError) }, 'onGiveUp failed; will try again');
      return { kind: 'nak', delayMs };
    }
  }
}

function describe(error: unknown): object {
  if (error instanceof Error) return { name: error.name, message: error.message, code: (error as { code?: unknown }).code };
  return { value: error };
}
