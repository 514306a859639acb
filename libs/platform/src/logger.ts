import type { IncomingMessage } from 'node:http';
import pino, { Logger } from 'pino';
import { requestSerializer } from './request-log.serializer';

/** JSON logs for code outside Nest's DI (workers, scripts); Nest uses nestjs-pino with the same shape and serializer. */
export function createLogger(service: string, level = process.env.LOG_LEVEL ?? 'info'): Logger {
  return pino({
    level,
    base: { service },
    timestamp: pino.stdTimeFunctions.isoTime,
    serializers: { req: (req: IncomingMessage) => requestSerializer(pino.stdSerializers.req(req)) },
  });
}

/** A logger whose every line names the task. */
export const taskLogger = (logger: Logger, taskId: string): Logger => logger.child({ taskId });

export type { Logger };
