/** What a redacted value is logged as (pino's own redaction word). */
export const REDACTED = '[Redacted]';

/** Query parameters and headers whose values are credentials, by name. */
const SECRET_NAME = /token|secret|passw|api[-_]?key|^key$|signature|^sig$|^auth|session|jwt|credential|cookie/i;
/** A JWS in compact form (header.payload.signature, the header starting `{"`), wherever it appears. */
const JWT_LIKE = /eyJ[\w-]*\.[\w-]+\.[\w-]*/g;

const scrub = (value: string): string => value.replace(JWT_LIKE, REDACTED);

function isSecretName(name: string): boolean {
  try {
    return SECRET_NAME.test(decodeURIComponent(name.replace(/\+/g, ' ')));
  } catch {
    return SECRET_NAME.test(name);
  }
}

/**
 * A request URL fit for logs: the value of every credential-like query parameter (`access_token`, `api_key`,
 * `id_token`...) replaced, and anything shaped like a JWT replaced wherever else it appears (a path segment).
 */
export function redactUrl(url: string): string {
  const q = url.indexOf('?');
  if (q < 0) return scrub(url);
  const query = url
    .slice(q + 1)
    .split('&')
    .map((pair) => {
      const eq = pair.indexOf('=');
      const name = eq < 0 ? pair : pair.slice(0, eq);
      return eq >= 0 && isSecretName(name) ? `${name}=${REDACTED}` : scrub(pair);
    })
    .join('&');
  return `${scrub(url.slice(0, q))}?${query}`;
}

function redactRecord(record: unknown, byName: boolean): unknown {
  if (record === null || typeof record !== 'object') return record;
  const out: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(record)) {
    if (byName && isSecretName(name)) out[name] = REDACTED;
    else if (typeof value === 'string') out[name] = scrub(value);
    else if (Array.isArray(value)) out[name] = value.map((v) => (typeof v === 'string' ? scrub(v) : v));
    else out[name] = value;
  }
  return out;
}

/** The fields of pino's standard request serialization that can carry a credential. */
export interface LoggedRequest {
  url?: string;
  query?: unknown;
  params?: unknown;
  headers?: unknown;
}

/**
 * The one request serializer of every service (pino-http through PlatformModule, and createLogger): given
 * pino's standard serialization of a request, it redacts credentials from `url`, `query`, `params` and
 * `headers` (Authorization, Cookie, X-Api-Key...). Tokens never reach the logs, whichever way they came.
 */
export function requestSerializer<R extends LoggedRequest>(req: R): R {
  return {
    ...req,
    ...(typeof req.url === 'string' ? { url: redactUrl(req.url) } : {}),
    ...(req.query !== undefined ? { query: redactRecord(req.query, true) } : {}),
    ...(req.params !== undefined ? { params: redactRecord(req.params, false) } : {}),
    ...(req.headers !== undefined ? { headers: redactRecord(req.headers, true) } : {}),
  };
}
