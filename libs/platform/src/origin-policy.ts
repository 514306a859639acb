import { AppError } from '@spectest/contracts';
import type { IncomingHttpHeaders } from 'node:http';
import { z } from 'zod';

const csv = (item: z.ZodType<string, string>) =>
  z
    .string()
    .default('')
    .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean))
    .pipe(z.array(item));

const isOrigin = (v: string): boolean => {
  try {
    return new URL(v).origin === v.toLowerCase().replace(/\/$/, '');
  } catch {
    return false;
  }
};

/** The variables of the services a browser talks to (intake, gateway; both in the embedded app). */
export const originEnvShape = {
  /**
   * Origins besides the server's own whose pages may call the API (CORS), comma-separated, e.g.
   * `https://tool.example,http://localhost:5173`. Empty (default): same origin only. `*` is accepted with
   * AUTH_MODE=jwt only (bearer tokens, no cookies), never in dev mode, where it would open the API to every site.
   */
  CORS_ORIGINS: csv(z.string().refine((v) => v === '*' || isOrigin(v), 'each entry must be an origin (scheme://host[:port]) or *')),
  /**
   * Host names, besides localhost, 127.0.0.1 and [::1], that a dev-mode server answers to (the DNS rebinding
   * guard), comma-separated, without ports: `spectest.lan,192.168.1.20,[fd00::5]`.
   */
  ALLOWED_HOSTS: csv(z.string().regex(/^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9.-]+)$/, 'each entry must be a host name or an IP address (IPv6 in brackets), without a port')),
};

type OriginEnv = { AUTH_MODE: 'jwt' | 'dev'; CORS_ORIGINS: string[]; ALLOWED_HOSTS: string[] };

/** For `.refine`: a wildcard CORS origin only where every call needs a token. */
export const corsWildcardAllowed = (c: OriginEnv): boolean => c.AUTH_MODE === 'jwt' || !c.CORS_ORIGINS.includes('*');
export const CORS_WILDCARD_NEEDS_JWT = {
  message: 'CORS_ORIGINS=* is refused with AUTH_MODE=dev: every web site could drive this server; list the origins instead',
  path: ['CORS_ORIGINS'],
};

/**
 * Who may talk to this server from a browser. In dev mode (no tokens: any request acts as tenant `dev`)
 * the server also checks `Host` on every request, so a DNS-rebound name cannot reach it, and `Origin` on
 * state-changing calls and socket handshakes, so a page elsewhere cannot drive it. With tokens (jwt) a
 * page elsewhere cannot act without one, and CORS alone decides which pages may read answers.
 */
export interface OriginPolicy {
  devMode: boolean;
  /** Lower-case origins allowed besides the server's own; `*` for any (jwt mode only). */
  corsOrigins: string[];
  /** Lower-case host names answered in dev mode, besides the loopback ones. */
  allowedHosts: string[];
}

export const originPolicyFromEnv = (c: OriginEnv): OriginPolicy => ({
  devMode: c.AUTH_MODE === 'dev',
  corsOrigins: c.CORS_ORIGINS.map((o) => (o === '*' ? o : new URL(o).origin)),
  allowedHosts: c.ALLOWED_HOSTS.map((h) => h.toLowerCase()),
});

const LOOPBACK_HOSTS = ['localhost', '127.0.0.1', '[::1]'];
const STATE_CHANGING = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

/** A Host header as a URL would read it (lower case, default port dropped); null when it is not one. */
function parseHost(host: string): URL | null {
  try {
    return new URL(`http://${host}`);
  } catch {
    return null;
  }
}

function hostAllowed(policy: OriginPolicy, host: string | undefined): boolean {
  if (host === undefined) return true; // HTTP/1.0 or a non-browser client: rebinding needs a browser, which always sends Host
  const name = parseHost(host)?.hostname;
  return name !== undefined && (LOOPBACK_HOSTS.includes(name) || policy.allowedHosts.includes(name));
}

/** Same origin as the Host the request was sent to, or listed in CORS_ORIGINS. */
export function originAllowed(policy: OriginPolicy, origin: string, host: string | undefined): boolean {
  if (policy.corsOrigins.includes('*')) return true;
  let url: URL;
  try {
    url = new URL(origin);
  } catch {
    return false; // `Origin: null` (a sandboxed frame, a file:// page) among others
  }
  if (policy.corsOrigins.includes(url.origin)) return true;
  return host !== undefined && url.host === parseHost(host)?.host;
}

export interface OriginCheckedRequest {
  method?: string;
  headers: IncomingHttpHeaders;
}

/**
 * The refusal of a request this policy does not allow, or null. `handshake`: a socket connection, which can
 * read every task of tenant `dev`, so it is checked like a state-changing call.
 */
export function originRefusal(policy: OriginPolicy, req: OriginCheckedRequest, kind: 'http' | 'handshake' = 'http'): AppError | null {
  if (!policy.devMode) return null;
  const host = req.headers.host;
  if (!hostAllowed(policy, host)) {
    return new AppError('host_not_allowed', `this server answers to localhost only, not to ${JSON.stringify(host)}; add the name to ALLOWED_HOSTS to serve it`, 403);
  }
  if (kind === 'http' && !STATE_CHANGING.has((req.method ?? 'GET').toUpperCase())) return null;
  const origin = req.headers.origin;
  if (origin !== undefined && !originAllowed(policy, origin, host)) {
    return new AppError('origin_not_allowed', `calls from ${JSON.stringify(origin)} are refused: a page of another site may not drive this server; list its origin in CORS_ORIGINS to allow it`, 403);
  }
  // Browsers that send no Origin on a request still say where it comes from.
  if (origin === undefined && req.headers['sec-fetch-site'] === 'cross-site') {
    return new AppError('origin_not_allowed', 'a cross-site call is refused: list its origin in CORS_ORIGINS to allow it', 403);
  }
  return null;
}

/** Headers a page of an allowed origin may read, besides the CORS-safelisted ones. */
export const EXPOSED_HEADERS = ['ETag', 'Retry-After', 'Location', 'Content-Length', 'Preference-Applied'];

/** Options of the `cors` middleware for this policy: no CORS header at all unless origins are configured. */
export function corsOptions(policy: OriginPolicy): { origin: boolean | string | string[]; exposedHeaders: string[] } {
  if (policy.corsOrigins.includes('*')) return { origin: '*', exposedHeaders: EXPOSED_HEADERS };
  return { origin: policy.corsOrigins.length > 0 ? policy.corsOrigins : false, exposedHeaders: EXPOSED_HEADERS };
}
