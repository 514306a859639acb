import { createServer, IncomingMessage, ServerResponse } from 'node:http';
import { AddressInfo } from 'node:net';

/**
 * What the repo's fixture servers (petstore, stateful pets, silences, negotiating, not-found) share:
 * a node:http server on a free loopback port that records each request line, reads bodies with a
 * size limit, and answers JSON. Each server keeps its own routes and rules.
 */
export interface RunningFixture {
  url: string;
  /** Requests received so far, e.g. "POST /pets". */
  requests: string[];
  close(): Promise<void>;
}

export type FixtureHandler = (req: IncomingMessage, res: ServerResponse, url: URL) => Promise<void> | void;

export const MAX_BODY_BYTES = 1024 * 1024;

export async function startFixtureServer(handler: FixtureHandler): Promise<RunningFixture> {
  const requests: string[] = [];
  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    requests.push(`${req.method} ${url.pathname}`);
    Promise.resolve()
      .then(() => handler(req, res, url))
      .catch(() => {
        if (!res.headersSent) sendJson(res, 500, { code: 500, message: 'internal error' });
        else res.end();
      });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((error) => (error ? reject(error) : resolve()));
      }),
  };
}

/** The body as text, or null when it is over MAX_BODY_BYTES (the rest is read and dropped). */
export function readBody(req: IncomingMessage): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (chunk: Buffer) => {
      size += chunk.length;
      if (size <= MAX_BODY_BYTES) chunks.push(chunk);
    });
    req.on('end', () => resolve(size > MAX_BODY_BYTES ? null : Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

/** The request's media type, lower case, without parameters ("" when absent). */
export function mediaType(req: IncomingMessage): string {
  return (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();
}

/**
 * A JSON request body: the parsed value, or the error status and message to answer (413 too large,
 * 415 not JSON, 400 malformed).
 */
export async function readJsonBody(req: IncomingMessage): Promise<{ value: unknown } | { status: number; message: string }> {
  const text = await readBody(req);
  if (text === null) return { status: 413, message: 'body too large' };
  if (mediaType(req) !== 'application/json') return { status: 415, message: 'send application/json' };
  try {
    return { value: JSON.parse(text) as unknown };
  } catch {
    return { status: 400, message: 'malformed JSON' };
  }
}

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  res.writeHead(status, { ...headers, 'content-type': 'application/json' }).end(JSON.stringify(body));
}

/** The fixtures' Error { code, message }. */
export function sendError(res: ServerResponse, status: number, message: string): void {
  sendJson(res, status, { code: status, message });
}

export function methodNotAllowed(res: ServerResponse, allow: string): void {
  res.setHeader('allow', allow);
  sendError(res, 405, 'method not allowed');
}

/** The path split into decoded segments, or null when a segment is not valid percent-encoding. */
export function pathSegments(url: URL): string[] | null {
  try {
    return url.pathname
      .split('/')
      .filter((s) => s !== '')
      .map((s) => decodeURIComponent(s));
  } catch {
    return null;
  }
}
