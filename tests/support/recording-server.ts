import { readBody, sendJson, startFixtureServer } from './fixture-http';

/** One request as it arrived, in a form that is the same for the same request on every run. */
export interface RecordedRequest {
  method: string;
  /** Path and query exactly as sent (percent-encoding included). */
  url: string;
  /** Lower-case names, sorted; headers that differ from run to run (see VOLATILE_HEADERS) left out. */
  headers: Record<string, string>;
  /** The body as UTF-8 text; a multipart boundary is replaced by "BOUNDARY". */
  body: string;
}

export interface RecordingServer {
  url: string;
  requests: RecordedRequest[];
  close(): Promise<void>;
}

// Set by the client or the transport, not by the case: a per-request random token (newman), the client's
// version, the connection, the length (the body is recorded itself and a random boundary changes it).
const VOLATILE_HEADERS = new Set(['host', 'connection', 'keep-alive', 'postman-token', 'user-agent', 'content-length']);

/**
 * An HTTP server that answers every request with 200 and `{}` and records what it received, for tests
 * that check what a generated suite sends (not whether it passes).
 */
export async function startRecordingServer(): Promise<RecordingServer> {
  const requests: RecordedRequest[] = [];
  const fixture = await startFixtureServer(async (req, res) => {
    const body = await readBody(req);
    requests.push(recorded(req.method ?? '', req.url ?? '', req.rawHeaders, body ?? '(over the fixture body limit)'));
    sendJson(res, 200, {});
  });
  return { url: fixture.url, requests, close: fixture.close };
}

/**
 * From the raw header lines: Node's `req.headers` is a plain object, where a header named "__proto__" would
 * be lost. Repeated names are joined with ", ". The result has no prototype, so that name is a plain key too.
 */
function recorded(method: string, url: string, rawHeaders: string[], text: string): RecordedRequest {
  const lines = new Map<string, string[]>();
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i].toLowerCase();
    lines.set(name, [...(lines.get(name) ?? []), rawHeaders[i + 1]]);
  }
  const boundary = /boundary=("?)([^";]+)\1/i.exec(lines.get('content-type')?.[0] ?? '')?.[2];
  const unbound = (value: string) => (boundary ? value.split(boundary).join('BOUNDARY') : value);
  const headers: Record<string, string> = Object.create(null);
  for (const name of [...lines.keys()].sort()) {
    if (!VOLATILE_HEADERS.has(name)) headers[name] = unbound(lines.get(name)!.join(', '));
  }
  return { method, url, headers, body: unbound(text) };
}

/** The requests in one order that does not depend on the order they arrived in (runners send files in parallel). */
export function sortedRequests(requests: readonly RecordedRequest[]): RecordedRequest[] {
  return [...requests].map((r) => [JSON.stringify(r), r] as const).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, r]) => r);
}
