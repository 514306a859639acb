import pino from 'pino';

/**
 * The subset of a pino logger the transports use. Injected so services pass their own (with its
 * level and bindings) and tests can capture what a consumer reported instead of printing it.
 */
export interface MessagingLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export function defaultMessagingLogger(): MessagingLogger {
  return pino({ name: 'messaging' });
}
