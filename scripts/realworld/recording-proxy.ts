import { createServer, request as httpRequest } from 'node:http';
import { AddressInfo } from 'node:net';

/** One exchange as the proxy saw it. */
export interface Exchange {
  method: string;
  /** Path and query as sent. */
  url: string;
  /** The Accept header as sent (the runners must agree on it). */
  accept: string | null;
  /** null: the server did not answer (connection refused, reset). */
  status: number | null;
}

export interface RecordingProxy {
  /** http://127.0.0.1:<port>: use it in place of the server's origin. */
  origin: string;
  exchanges: Exchange[];
  close(): Promise<void>;
}

/**
 * A pass-through HTTP proxy in front of a real server that records each request's method, URL, Accept
 * header and answered status, whichever runner sent it: the passing tests of node:test say nothing about
 * what they were answered (a negative case passes on a 404 as on a 400), this does.
 */
export async function startRecordingProxy(target: string): Promise<RecordingProxy> {
  const upstream = new URL(target);
  const exchanges: Exchange[] = [];
  const server = createServer((req, res) => {
    const exchange: Exchange = { method: req.method ?? 'GET', url: req.url ?? '/', accept: header(req.headers.accept), status: null };
    exchanges.push(exchange);
    const forward = httpRequest(
      { host: upstream.hostname, port: upstream.port, method: req.method, path: req.url, headers: { ...req.headers, host: upstream.host } },
      (answer) => {
        exchange.status = answer.statusCode ?? null;
        res.writeHead(answer.statusCode ?? 502, answer.statusMessage, answer.rawHeaders);
        answer.pipe(res);
      },
    );
    forward.on('error', () => {
      if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
      res.end('recording proxy: the server did not answer');
    });
    req.pipe(forward);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    origin: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    exchanges,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function header(value: string | string[] | undefined): string | null {
  return value === undefined ? null : Array.isArray(value) ? value.join(', ') : value;
}
