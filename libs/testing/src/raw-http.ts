import { request } from 'node:http';

export interface RawRequest {
  method?: string;
  path: string;
  headers?: Record<string, string | number>;
  /** Sent in pieces of `pieceBytes` as fast as the server reads, until it answers. */
  body?: Buffer;
  pieceBytes?: number;
  /** Send `Expect: 100-continue` and hold the body until the server says `100 Continue`. */
  expectContinue?: boolean;
  /** A slow client: `first` bytes at once (default none), then `bytes` every `everyMs` until `total` bytes or an answer. */
  dribble?: { first?: number; bytes: number; everyMs: number; total: number };
  /** Send the body chunked, without Content-Length. */
  chunked?: boolean;
}

export interface RawAnswer {
  /** The status, or null when the connection failed before an answer. */
  status: number | null;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  /** Whether the server sent `100 Continue` before its answer. */
  continued: boolean;
  /** Body bytes the client had written when the answer came. */
  sentBytes: number;
  /** A connection error, if any (after an answer it is usually the server closing on an unread body). */
  error?: string;
  ms: number;
}

/**
 * A request over node:http where a test controls how the body goes out: all at once, after
 * `100 Continue` only, or dribbled. It stops sending once the server has answered, as a real client
 * does, and reports the answer whatever happens to the connection afterwards.
 */
export function rawRequest(baseUrl: string, r: RawRequest): Promise<RawAnswer> {
  const url = new URL(r.path, baseUrl);
  const started = Date.now();
  return new Promise((resolve) => {
    const answer: RawAnswer = { status: null, headers: {}, body: '', continued: false, sentBytes: 0, ms: 0 };
    let done = false;
    let answered = false;
    const finish = (error?: string) => {
      if (done) return;
      done = true;
      if (error && !answer.error) answer.error = error;
      answer.ms = Date.now() - started;
      resolve(answer);
    };
    const length = r.chunked ? undefined : (r.body?.length ?? r.dribble?.total);
    const headers = { ...(length !== undefined ? { 'content-length': length } : {}), ...(r.expectContinue ? { expect: '100-continue' } : {}), ...r.headers };
    const req = request({ host: url.hostname, port: url.port, path: url.pathname + url.search, method: r.method ?? 'POST', headers }, (res) => {
      answered = true;
      answer.status = res.statusCode ?? null;
      answer.headers = res.headers;
      res.setEncoding('utf8');
      res.on('data', (d: string) => (answer.body += d));
      res.on('end', () => finish());
      res.on('error', (e) => finish(e.message));
    });
    req.on('error', (e) => (answered ? (answer.error = e.message) : finish(e.message)));
    req.on('close', () => setTimeout(() => finish(), 50));

    const sendBody = () => {
      if (r.dribble) return dribble(r.dribble);
      const body = r.body ?? Buffer.alloc(0);
      const piece = r.pieceBytes ?? 1024 * 1024;
      const write = () => {
        while (answer.sentBytes < body.length && !answered && !req.destroyed) {
          const chunk = body.subarray(answer.sentBytes, answer.sentBytes + piece);
          answer.sentBytes += chunk.length;
          if (!req.write(chunk)) return void req.once('drain', write);
        }
        if (!answered && !req.destroyed) req.end();
      };
      write();
    };
    const dribble = (d: NonNullable<RawRequest['dribble']>) => {
      if (d.first) {
        req.write(Buffer.alloc(d.first, ' '));
        answer.sentBytes += d.first;
      }
      const timer = setInterval(() => {
        if (answered || req.destroyed) return clearInterval(timer);
        const n = Math.min(d.bytes, d.total - answer.sentBytes);
        req.write(Buffer.alloc(n, ' '));
        answer.sentBytes += n;
        if (answer.sentBytes >= d.total) {
          clearInterval(timer);
          req.end();
        }
      }, d.everyMs);
    };
    if (r.expectContinue) {
      req.on('continue', () => {
        answer.continued = true;
        sendBody();
      });
      req.flushHeaders();
    } else sendBody();
  });
}
