import { AUTH_KEY_REQUIRED, authEnvShape, hasAuthKey } from '@spectest/auth';
import { CORS_WILDCARD_NEEDS_JWT, commonEnvShape, corsWildcardAllowed, envInt, originEnvShape } from '@spectest/platform';
import { z } from 'zod';

export const gatewayEnvShape = {
  ...authEnvShape,
  ...originEnvShape,
  /** Tasks one socket may watch at once (`limit_exceeded` above). */
  MAX_SUBSCRIPTIONS_PER_SOCKET: envInt(100, 1, 10_000),
  /**
   * Sockets one token may hold open on one gateway replica (connect_error `limit_exceeded` above); in dev
   * mode, sockets without a token are counted per client address.
   */
  MAX_CONNECTIONS_PER_TOKEN: envInt(20, 1, 100_000),
  /**
   * Subscribes per second one socket may send, after a burst of SUBSCRIBE_BURST_PER_SOCKET (ack
   * `limit_exceeded` with `retryAfterMs` above). The burst lets a client resubscribe every task it
   * watches at once after a reconnect (MAX_SUBSCRIPTIONS_PER_SOCKET, 100 by default).
   */
  SUBSCRIBE_RATE_PER_SOCKET: envInt(20, 1, 10_000),
  SUBSCRIBE_BURST_PER_SOCKET: envInt(100, 1, 100_000),
  /**
   * How long a subscribe waits for its task to be read before it is acked `unavailable`: below the
   * SDK's ack timeout (10 s), so a database that stopped answering is reported, not waited on.
   */
  SUBSCRIBE_READ_TIMEOUT_MS: envInt(5_000, 100, 60_000),
  /**
   * Packets a socket may have waiting to be written before it counts as a slow consumer; from then on
   * its progress events are coalesced (latest per task). Above the replay page (500), so a resume
   * of a fast client is never coalesced.
   */
  SOCKET_BUFFER_LIMIT: envInt(1_000, 10, 1_000_000),
};

export const GatewayConfigSchema = z
  .object({ ...commonEnvShape, ...gatewayEnvShape, PORT: envInt(3001, 0, 65535) })
  .refine(hasAuthKey, AUTH_KEY_REQUIRED)
  .refine(corsWildcardAllowed, CORS_WILDCARD_NEEDS_JWT);
export type GatewayConfig = z.infer<typeof GatewayConfigSchema>;
export const GATEWAY_CONFIG = Symbol('GATEWAY_CONFIG');
