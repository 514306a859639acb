/** Socket errors of a dependency that is down, restarting or unreachable. */
const NETWORK_CODES = new Set(['ECONNREFUSED', 'ECONNRESET', 'ECONNABORTED', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENETUNREACH', 'EAI_AGAIN', 'ENOTFOUND']);
/**
 * PostgreSQL SQLSTATEs of an outage, not of a bad query: connection exceptions (class 08), the server
 * shutting down or starting (57P01-57P03), out of connections or resources (53300, 53000, 53100, 53200).
 */
const PG_OUTAGE = /^(08...|57P0[123]|53[0-3]00)$/;
/** nats.js error codes of a broker that is unreachable or gave no answer (503: no JetStream responders). */
const NATS_CODES = new Set(['CONNECTION_CLOSED', 'CONNECTION_DRAINING', 'CONNECTION_REFUSED', 'CONNECTION_TIMEOUT', 'DISCONNECT', 'TIMEOUT', '503']);
/** What node-postgres and TypeORM say, without a code, when the connection went away under a query. */
const OUTAGE_MESSAGES = [
  /connection terminated/i,
  /timeout exceeded when trying to connect/i,
  /connection ended unexpectedly/i,
  /client has encountered a connection error/i,
  /the database system is (starting up|shutting down|in recovery mode)/i,
  /Connection is not established with/i,
  // ALLOW_CONNECTIONS false: the database is closed to new sessions (maintenance).
  /is not currently accepting connections/i,
];

/**
 * Whether an error means a dependency (the database or the broker) is down rather than that the request
 * or the data is wrong: intake answers 503 `unavailable`, a worker waits and retries in place. Looks
 * through wrappers (TypeORM's `driverError`, `cause`, AggregateError) by shape, so this lib needs
 * neither driver.
 */
export function isDependencyOutage(error: unknown, depth = 0): boolean {
  if (!error || typeof error !== 'object' || depth > 4) return false;
  const e = error as { code?: unknown; message?: unknown; driverError?: unknown; cause?: unknown; errors?: unknown };
  const code = typeof e.code === 'string' ? e.code : '';
  if (NETWORK_CODES.has(code) || PG_OUTAGE.test(code) || NATS_CODES.has(code)) return true;
  if (typeof e.message === 'string' && OUTAGE_MESSAGES.some((re) => re.test(e.message as string))) return true;
  if (Array.isArray(e.errors) && e.errors.some((inner) => isDependencyOutage(inner, depth + 1))) return true;
  return isDependencyOutage(e.driverError, depth + 1) || isDependencyOutage(e.cause, depth + 1);
}
