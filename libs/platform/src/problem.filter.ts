import { ArgumentsHost, Catch, ExceptionFilter, HttpException, Logger } from '@nestjs/common';
import { AppError, ErrorCode } from '@spectest/contracts';
import type { Response } from 'express';
import type { IncomingMessage } from 'node:http';
import { isDependencyOutage } from './dependency-outage';

/** Retry-After of a 503 for an outage: a restart of the database or broker takes seconds. */
export const OUTAGE_RETRY_AFTER_SECONDS = 5;

const CODE_BY_STATUS: Record<number, ErrorCode> = {
  400: 'invalid_request',
  401: 'unauthorized',
  404: 'not_found',
  408: 'request_timeout',
  409: 'conflict',
  413: 'payload_too_large',
  415: 'unsupported_media_type',
  429: 'rate_limited',
};

const TITLE_BY_STATUS: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  402: 'Payment Required',
  404: 'Not Found',
  409: 'Conflict',
  403: 'Forbidden',
  408: 'Request Timeout',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  429: 'Too Many Requests',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  details?: unknown[];
}

/** Turns anything thrown into RFC 9457 problem+json with a stable `code`. Unknown errors never leak their text. */
export function toProblem(err: unknown): Problem {
  if (err instanceof AppError) {
    return problem(err.status, err.code, err.message, err.details.length ? err.details : undefined);
  }
  if (err instanceof HttpException) {
    const status = err.getStatus();
    const body = err.getResponse() as { message?: unknown; code?: string } | string;
    const detail = typeof body === 'string' ? body : Array.isArray(body.message) ? body.message.join('; ') : String(body.message ?? err.message);
    return problem(status, (typeof body === 'object' && body.code) || CODE_BY_STATUS[status] || (status >= 500 ? 'internal' : 'invalid_request'), detail);
  }
  // body-parser and multer errors carry a status (413 too large, 400 malformed JSON).
  const e = err as { status?: number; statusCode?: number; type?: string; code?: string; message?: string };
  const status = e?.status ?? e?.statusCode;
  if (typeof status === 'number' && status >= 400 && status < 500) {
    const code = status === 413 || e.code === 'LIMIT_FILE_SIZE' ? 'payload_too_large' : CODE_BY_STATUS[status] ?? 'invalid_request';
    return problem(status === 413 || e.code === 'LIMIT_FILE_SIZE' ? 413 : status, code, e.message ?? 'invalid request');
  }
  if (e?.code === 'LIMIT_FILE_SIZE') return problem(413, 'payload_too_large', 'the uploaded file is over the size limit');
  if (isDependencyOutage(err)) return problem(503, 'unavailable', 'a service this request needs is unavailable; try again shortly');
  return problem(500, 'internal', 'An unexpected error occurred; it has been logged.');
}

function problem(status: number, code: string, detail: string, details?: unknown[]): Problem {
  return {
    type: `/problems/${code}`,
    title: TITLE_BY_STATUS[status] ?? 'Error',
    status,
    detail,
    code,
    ...(details ? { details } : {}),
  };
}

/** How long a connection whose body was refused unread stays open after the answer, its bytes dropped. */
const LINGER_MS = 2_000;

/**
 * Closes the connection of a request whose body is not read (a refusal before it: 401, 413, 429), so the
 * client stops sending it. Not at once: Node would close the socket right after the answer, and with body
 * bytes still arriving the peer's TCP stack resets the connection, so a client still sending may lose the
 * answer. Instead the server half-closes, reads and drops what still comes for LINGER_MS, then closes.
 */
function closeAfterAnswer(req: IncomingMessage, res: Response): void {
  res.setHeader('Connection', 'close');
  const socket = req.socket;
  // Node's server calls socket.destroySoon() after a `Connection: close` answer, or socket.end() when there is none.
  (socket as unknown as { destroySoon?: unknown }).destroySoon = undefined;
  req.resume();
  const timer = setTimeout(() => socket.destroy(), LINGER_MS);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}

/** Answers with the problem of `err` (Retry-After when it carries `retryAfterSeconds`). */
export function sendProblem(req: IncomingMessage, res: Response, err: unknown): Problem {
  const p = toProblem(err);
  if (res.headersSent) {
    res.end();
    return p;
  }
  const retryAfter = (err as { retryAfterSeconds?: number })?.retryAfterSeconds ?? (p.status === 503 ? OUTAGE_RETRY_AFTER_SECONDS : undefined);
  if (retryAfter) res.setHeader('Retry-After', String(retryAfter));
  if (!req.complete) closeAfterAnswer(req, res);
  res.status(p.status).type('application/problem+json').send(JSON.stringify(p));
  return p;
}

@Catch()
export class ProblemDetailsFilter implements ExceptionFilter {
  private readonly logger = new Logger('ProblemDetailsFilter');

  catch(err: unknown, host: ArgumentsHost): void {
    if (host.getType() !== 'http') throw err;
    const http = host.switchToHttp();
    const p = sendProblem(http.getRequest<IncomingMessage>(), http.getResponse<Response>(), err);
    // A 503 (a dependency down, a full upload budget) is an answer with Retry-After, not a fault of ours.
    if (p.status === 503) this.logger.warn({ code: p.code, err: String((err as Error)?.message ?? err) }, 'unavailable');
    else if (p.status >= 500) this.logger.error({ err }, 'unhandled error');
  }
}
