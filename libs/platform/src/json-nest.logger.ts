import type { LoggerService } from '@nestjs/common';
import { createLogger, type Logger } from './logger';

/**
 * Nest's own logger for the first lines of a process (module init, a dependency it waits for, a failed
 * start): the same JSON lines as the rest, never Nest's coloured text. Once the app is built, nestjs-pino
 * takes over (`app.useLogger`).
 */
export class JsonNestLogger implements LoggerService {
  private readonly pino: Logger;

  constructor(service: string, level?: string) {
    this.pino = createLogger(service, level);
  }

  log(message: unknown, ...rest: unknown[]): void {
    this.write('info', message, rest);
  }
  error(message: unknown, ...rest: unknown[]): void {
    this.write('error', message, rest);
  }
  warn(message: unknown, ...rest: unknown[]): void {
    this.write('warn', message, rest);
  }
  debug(message: unknown, ...rest: unknown[]): void {
    this.write('debug', message, rest);
  }
  verbose(message: unknown, ...rest: unknown[]): void {
    this.write('trace', message, rest);
  }
  fatal(message: unknown, ...rest: unknown[]): void {
    this.write('fatal', message, rest);
  }

  /** Nest calls `log(message, context)` or `log(object, message, context)`; the last string is the context. */
  private write(level: 'info' | 'error' | 'warn' | 'debug' | 'trace' | 'fatal', message: unknown, rest: unknown[]): void {
    const context = rest.length > 0 && typeof rest[rest.length - 1] === 'string' ? (rest[rest.length - 1] as string) : undefined;
    const args = context === undefined ? rest : rest.slice(0, -1);
    if (message && typeof message === 'object' && !(message instanceof Error)) {
      const msg = typeof args[0] === 'string' ? args[0] : undefined;
      this.pino[level]({ ...(message as object), context }, msg);
    } else if (message instanceof Error) {
      this.pino[level]({ err: message, context }, message.message);
    } else {
      const stack = level === 'error' && typeof args[0] === 'string' ? { stack: args[0] } : {};
      this.pino[level]({ context, ...stack }, String(message));
    }
  }
}
