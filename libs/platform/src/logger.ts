import pino, { Logger } from 'pino';

/** JSON logs for code outside Nest's DI (workers, scripts); Nest uses nestjs-pino with the same shape. */
export function createLogger(service: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({ level, base: { service }, timestamp: pino.stdTimeFunctions.isoTime });
}

/** A logger whose every line names the task. */
export const taskLogger = (logger: Logger, taskId: string): Logger => logger.child({ taskId });

export type { Logger };
