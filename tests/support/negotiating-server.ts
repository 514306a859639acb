import { IncomingMessage, ServerResponse } from 'node:http';
import { RunningFixture, pathSegments, startFixtureServer } from './fixture-http';

/**
 * A faithful implementation of tests/fixtures/negotiating.yaml: every answer (items and errors) is XML
 * or JSON as the request's Accept header prefers, XML when it has none or accepts any type, and 406 (text/plain)
 * when it accepts neither. Two runners that send different Accept headers get different bodies here.
 */
export const CATALOGUE = [
  { id: 1, name: 'Lamp' },
  { id: 2, name: 'Desk & chair' },
  { id: 3, name: 'Shelf <oak>' },
];

type Format = 'application/xml' | 'application/json';
/** In the server's order of preference: the first one wins a tie, and answers an Accept of any type. */
const FORMATS: Format[] = ['application/xml', 'application/json'];

export function startNegotiatingServer(): Promise<RunningFixture> {
  return startFixtureServer((req: IncomingMessage, res: ServerResponse, url: URL) => {
    const format = negotiate(req.headers.accept);
    if (!format) {
      res.writeHead(406, { 'content-type': 'text/plain; charset=utf-8', vary: 'Accept' }).end('Neither application/xml nor application/json is acceptable.\n');
      return;
    }
    const segments = pathSegments(url);
    if (!segments || segments[0] !== 'items' || segments.length > 2) return answer(res, format, 404, 'error', { code: 404, message: `no route ${url.pathname}` });
    if (req.method !== 'GET') {
      res.setHeader('allow', 'GET');
      return answer(res, format, 405, 'error', { code: 405, message: 'method not allowed' });
    }
    if (segments.length === 1) {
      const raw = url.searchParams.get('limit');
      if (raw !== null && (!/^\d+$/.test(raw) || Number(raw) < 1 || Number(raw) > 50)) {
        return answer(res, format, 400, 'error', { code: 400, message: 'limit must be an integer from 1 to 50' });
      }
      return answer(res, format, 200, 'items', CATALOGUE.slice(0, raw === null ? undefined : Number(raw)));
    }
    if (!/^[1-9]\d*$/.test(segments[1])) return answer(res, format, 400, 'error', { code: 400, message: 'itemId must be an integer of at least 1' });
    const item = CATALOGUE.find((i) => i.id === Number(segments[1]));
    if (!item) return answer(res, format, 404, 'error', { code: 404, message: `no item ${segments[1]}` });
    return answer(res, format, 200, 'item', item);
  });
}

/** The preferred acceptable format by RFC 9110 quality values (more specific ranges win), or null. */
export function negotiate(accept: string | undefined): Format | null {
  if (accept === undefined || accept.trim() === '') return FORMATS[0];
  const ranges = accept.split(',').map((part) => {
    const [range, ...params] = part.trim().toLowerCase().split(';');
    const q = params.map((p) => p.trim()).find((p) => p.startsWith('q='));
    return { range: range.trim(), q: q ? Number(q.slice(2)) : 1 };
  });
  const quality = (format: Format) => {
    const [type] = format.split('/');
    const match = [ranges.find((r) => r.range === format), ranges.find((r) => r.range === `${type}/*`), ranges.find((r) => r.range === '*/*')].find(
      (r) => r !== undefined,
    );
    return match && Number.isFinite(match.q) ? match.q : 0;
  };
  let best: Format | null = null;
  for (const format of FORMATS) if (quality(format) > 0 && (best === null || quality(format) > quality(best))) best = format;
  return best;
}

function answer(res: ServerResponse, format: Format, status: number, root: 'items' | 'item' | 'error', body: unknown): void {
  const text = format === 'application/json' ? JSON.stringify(body) : `<?xml version="1.0" encoding="UTF-8"?>\n${toXml(root, body)}`;
  res.writeHead(status, { 'content-type': `${format}; charset=utf-8`, vary: 'Accept' }).end(text);
}

/** Items as <items><item>…</item></items>, objects as one element per property: the spec's `xml` names. */
function toXml(name: string, value: unknown): string {
  if (Array.isArray(value)) return `<${name}>${value.map((v) => toXml('item', v)).join('')}</${name}>`;
  if (value !== null && typeof value === 'object') {
    return `<${name}>${Object.entries(value).map(([key, v]) => toXml(key, v)).join('')}</${name}>`;
  }
  return `<${name}>${escapeXml(String(value))}</${name}>`;
}

function escapeXml(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}
