import { PoisonMessageError, RetryLaterError, type WorkDelivery, type WorkHandler } from './messaging.types';
import type { MessagingLogger } from './messaging.logger';
import { backoffFor, type ResolvedConsumeOptions } from './work.defaults';

/** What the transport does with a delivery once its handler settled. */
export type WorkOutcome = { kind: 'ack' } | { kind: 'nak'; delayMs: number } | { kind: 'term'; reason: string };

/** Given to onGiveUp when a message arrives past maxDeliver (its previous holder died on the last attempt). */
export class MaxDeliverExceededError extends Error {
  readonly code = 'max_deliver_exceeded';
  constructor(readonly attempt: number) {
    super(`delivery ${attempt} is past maxDeliver`);
    this.name = 'MaxDeliverExceededError';
  }
}

export interface WorkDeliveryInput {
  /** Subject without prefix, for logs. */
  subject: string;
  /** The message body as published: JSON text. */
  data: string;
  delivery: WorkDelivery;
  handler: WorkHandler;
  options: ResolvedConsumeOptions;
  logger: MessagingLogger;
}

/**
 * The one place that maps a handler's result to ack / nak / term, shared by the NATS and the in-process
 * transport so they cannot drift apart. Never throws: a transport loop must survive any message.
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
  try {
    await input.handler(payload, delivery);
    return { kind: 'ack' };
  } catch (error) {
    if (error instanceof PoisonMessageError) {
      logger.error({ subject, attempt, err: describe(error) }, 'work message is poison; terminated');
      return { kind: 'term', reason: 'poison' };
    }
    if (attempt >= options.maxDeliver) return giveUp(input, payload, error);
    const delayMs = error instanceof RetryLaterError ? error.delayMs : backoffFor(attempt, options.retryBackoffMs);
    logger.warn({ subject, attempt, delayMs, err: describe(error) }, 'work handler failed; will retry');
    return { kind: 'nak', delayMs };
  }
}

async function giveUp(input: WorkDeliveryInput, payload: unknown, error: unknown): Promise<WorkOutcome> {
  const { subject, delivery, options, logger } = input;
  logger.error({ subject, attempt: delivery.attempt, err: describe(error) }, 'work message given up after maxDeliver');
  try {
    await options.onGiveUp?.(payload, error);
  } catch (hookError) {
    // Terminated anyway: retrying the give-up would retry forever. The reaper catches the task.
    logger.error({ subject, err: describe(hookError) }, 'onGiveUp failed');
  }
  return { kind: 'term', reason: 'max_deliver' };
}

function describe(error: unknown): object {
  if (error instanceof Error) return { name: error.name, message: error.message, code: (error as { code?: unknown }).code };
  return { value: error };
}
