import { AUTH_KEY_REQUIRED, authEnvShape, hasAuthKey } from '@spectest/auth';
import { CORS_WILDCARD_NEEDS_JWT, commonEnvShape, corsWildcardAllowed, envBoolean, envInt, originEnvShape } from '@spectest/platform';
import { z } from 'zod';

const MiB = 1024 * 1024;

export const intakeEnvShape = {
  ...authEnvShape,
  ...originEnvShape,
  /** Largest accepted spec, in bytes (413 above). A JSON body may be twice this plus 64 KiB (escapes, other fields). */
  MAX_SPEC_BYTES: envInt(50 * MiB, 1024),
  /** Largest compressed body on the wire (Content-Encoding gzip, deflate or br), in bytes (413 above). */
  MAX_COMPRESSED_BODY_BYTES: envInt(50 * MiB, 1024),
  /** Decoded bytes per compressed byte, judged once a body passes 1 MiB decoded (413 above: a compression bomb). */
  MAX_INFLATE_RATIO: envInt(100, 2, 100_000),
  /** A body must arrive at least this fast on average, judged every BODY_RATE_WINDOW_MS (408 below). */
  MIN_BODY_BYTES_PER_SECOND: envInt(16 * 1024, 1),
  BODY_RATE_WINDOW_MS: envInt(10_000, 100, 600_000),
  /** Request bodies one client (tenant, or address without a token) may be sending at once (429 above). */
  MAX_UPLOADS_PER_CLIENT: envInt(4, 1, 1000),
  /**
   * Memory for request bodies in flight in this process, all clients together (503 above). A body counts three
   * times its size (it, the spec made of it, the database driver's copy); the largest JSON body must fit.
   */
  UPLOAD_MEMORY_BYTES: envInt(320 * MiB, MiB),
  /** Nesting a spec sent as a JSON object may have (400 spec_too_deep above); spec-parser reads the same variable. */
  SPEC_MAX_DEPTH: envInt(200, 1, 10_000),
  /** Submissions per tenant per minute, per intake replica (429 above). */
  RATE_LIMIT_PER_MINUTE: envInt(60, 1),
  /** Tasks queued or running per tenant (429 above). */
  MAX_ACTIVE_TASKS_PER_TENANT: envInt(20, 1),
  DEFAULT_TIMEOUT_SECONDS: envInt(600, 1, 86_400),
  /** How often the reaper looks for tasks past their deadline. */
  REAPER_INTERVAL_MS: envInt(5000, 100),
  SSE_HEARTBEAT_MS: envInt(15_000, 100, 15_000),
  PUBLIC_BASE_URL: z.string().url().optional(),
  /** Model tokens a tenant may spend in total; once spent, AI tasks get 402 `insufficient_tokens`. Unset: unlimited. */
  TENANT_TOKEN_BUDGET: z.coerce.number().int().min(1).optional(),
  /** Serve the web page at `/`. */
  SERVE_WEB: envBoolean(true),
};

export const IntakeConfigSchema = z
  .object({ ...commonEnvShape, ...intakeEnvShape, PORT: envInt(3000, 0, 65535) })
  .refine(hasAuthKey, AUTH_KEY_REQUIRED)
  .refine(corsWildcardAllowed, CORS_WILDCARD_NEEDS_JWT);
export type IntakeConfig = z.infer<typeof IntakeConfigSchema>;
export const INTAKE_CONFIG = Symbol('INTAKE_CONFIG');
