import { AppError } from '@spectest/contracts';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { PassThrough, Readable, Transform } from 'node:stream';
import { createBrotliDecompress, createGunzip, createInflate } from 'node:zlib';

const MiB = 1024 * 1024;

/** Limits on one request body (docs/configuration.md, "Request bodies"). */
export interface BodyLimits {
  /** Bytes of the body as decoded (after Content-Encoding). */
  maxBytes: number;
  /** Bytes on the wire of a compressed body. */
  maxCompressedBytes: number;
  /** Decoded bytes per wire byte, checked once the decoded body passes 1 MiB. */
  maxInflateRatio: number;
  /** The body must arrive at this average rate or faster, judged every `rateWindowMs` from the first one on. */
  minBytesPerSecond: number;
  rateWindowMs: number;
  /** The whole body must have arrived this long after the request came in. */
  deadlineMs: number;
}

/** The ratio is only judged past this size: small bodies of repeated text may compress very well. */
const RATIO_FLOOR_BYTES = MiB;

export const tooLarge = (what: string): AppError => new AppError('payload_too_large', what, 413);
const tooSlow = (what: string): AppError => new AppError('request_timeout', what, 408);

type Coding = 'identity' | 'gzip' | 'deflate' | 'br';

function contentCoding(req: IncomingMessage): Coding {
  const raw = (req.headers['content-encoding'] ?? 'identity').trim().toLowerCase();
  if (raw === 'identity' || raw === '') return 'identity';
  if (raw === 'gzip' || raw === 'x-gzip') return 'gzip';
  if (raw === 'deflate' || raw === 'br') return raw;
  throw new AppError('unsupported_media_type', `Content-Encoding ${JSON.stringify(raw)} is not supported: send identity, gzip, deflate or br`, 415);
}

/** The declared Content-Length, or null (chunked). */
export function declaredLength(req: IncomingMessage): number | null {
  const raw = req.headers['content-length'];
  if (raw === undefined) return null;
  const n = Number(raw);
  if (!Number.isSafeInteger(n) || n < 0) throw new AppError('invalid_request', 'Content-Length is not a number of bytes');
  return n;
}

/** Whether the body is encoded (then its decoded size is unknown until read). */
export const isEncoded = (req: IncomingMessage): boolean => contentCoding(req) !== 'identity';

/**
 * Checks what can be checked of a body before reading it: a supported Content-Encoding (else 415) and a
 * declared length within the limits (else 413).
 */
export function checkBodyHeaders(req: IncomingMessage, limits: BodyLimits): void {
  const coding = contentCoding(req);
  const declared = declaredLength(req);
  const cap = coding === 'identity' ? limits.maxBytes : limits.maxCompressedBytes;
  if (declared !== null && declared > cap) {
    throw tooLarge(`the body is ${declared} bytes${coding === 'identity' ? '' : ` compressed (${coding})`}; the limit is ${cap}`);
  }
}

/**
 * The decoded body of `req` as a stream, guarded by `limits`: the wire bytes of a compressed body and the
 * decoded bytes are capped separately, and so is the ratio between them (a 100 KiB gzip bomb is refused
 * once it has inflated past 1 MiB at more than `maxInflateRatio` times, not after 100 MiB), a body that
 * arrives too slowly or too late is cut off with 408. A refusal errors the stream with an AppError and
 * stops reading; what the client still sends is discarded (the answer closes the connection).
 *
 * Called only once the caller is authenticated and admitted: `Expect: 100-continue` is answered here,
 * so a client that asked first sends nothing before that.
 */
export function guardedBody(req: IncomingMessage, res: ServerResponse, limits: BodyLimits): Readable {
  checkBodyHeaders(req, limits);
  const coding = contentCoding(req);
  if ((req.headers.expect ?? '').toLowerCase() === '100-continue') res.writeContinue();

  let wire = 0;
  let decoded = 0;
  const decoder = coding === 'gzip' ? createGunzip() : coding === 'deflate' ? createInflate() : coding === 'br' ? createBrotliDecompress() : new PassThrough();
  const counter = new Transform({
    transform(chunk: Buffer, _enc, done) {
      decoded += chunk.length;
      if (decoded > limits.maxBytes) return done(tooLarge(`the body is over ${limits.maxBytes} bytes${coding === 'identity' ? '' : ` once decoded (${coding})`}`));
      if (coding !== 'identity' && decoded > RATIO_FLOOR_BYTES && decoded > wire * limits.maxInflateRatio) {
        return done(tooLarge(`the ${coding} body inflates more than ${limits.maxInflateRatio} times (${wire} bytes became over ${decoded})`));
      }
      done(null, chunk);
    },
  });

  const onData = (chunk: Buffer) => {
    wire += chunk.length;
    if (coding !== 'identity' && wire > limits.maxCompressedBytes) fail(tooLarge(`the compressed body is over ${limits.maxCompressedBytes} bytes`));
  };
  // The rate is the bytes received over the time we were ready to read them: an interval that the event loop,
  // busy elsewhere, stretched, or in which we held the body back (backpressure: it is being scanned or
  // inflated), is not the client's fault and does not count. Judged once a window of such time has passed.
  // A declared body must also come fast enough to be whole by the deadline: it holds its reservation meanwhile.
  const declared = coding === 'identity' ? declaredLength(req) : null;
  const minRate = Math.max(limits.minBytesPerSecond, declared === null ? 0 : Math.ceil((declared * 1000) / limits.deadlineMs));
  const step = Math.max(10, Math.floor(limits.rateWindowMs / 10));
  let lastTick = Date.now();
  let ready = 0;
  const rateTimer = setInterval(() => {
    const now = Date.now();
    const interval = now - lastTick;
    lastTick = now;
    if (interval < 2 * step && req.readableFlowing !== false) ready += interval;
    if (ready >= limits.rateWindowMs && wire * 1000 < minRate * ready) {
      const why = minRate > limits.minBytesPerSecond ? ` for its ${declared} bytes to arrive within ${limits.deadlineMs} ms` : '';
      fail(tooSlow(`the body arrived at ${Math.round((wire * 1000) / ready)} bytes/s; it needs at least ${minRate} bytes/s${why}`));
    }
  }, step);
  const deadline = setTimeout(() => fail(tooSlow(`the body did not arrive within ${limits.deadlineMs} ms`)), limits.deadlineMs);

  /** Stops reading for us; what the client still sends is read and dropped, so it can read the answer. */
  const letGo = () => {
    clearInterval(rateTimer);
    clearTimeout(deadline);
    req.off('data', onData);
    if (req.complete) return;
    req.unpipe(decoder);
    decoder.destroy();
    req.resume();
  };
  function fail(error: AppError | Error): void {
    if (counter.destroyed) return;
    letGo();
    counter.destroy(error);
  }

  req.on('data', onData);
  // Once the client has sent it all, whatever is left to do is ours: no rate or deadline to keep.
  req.once('end', () => {
    clearInterval(rateTimer);
    clearTimeout(deadline);
  });
  req.once('close', () => {
    if (!req.complete) fail(new AppError('invalid_request', 'the client closed the connection before the body was complete'));
  });
  req.once('error', (error) => fail(error));
  decoder.once('error', (error) => fail(new AppError('invalid_request', `the ${coding} body cannot be decoded: ${error.message}`)));
  // However the reading ends (done, refused here, or given up by the consumer), the timers stop.
  counter.once('close', letGo);
  req.pipe(decoder).pipe(counter);
  return counter;
}
