import { AUTH_KEY_REQUIRED, authEnvShape, hasAuthKey } from '@spectest/auth';
import { commonEnvShape, envBoolean, envInt } from '@spectest/platform';
import { z } from 'zod';

export const intakeEnvShape = {
  ...authEnvShape,
  /** Largest accepted spec, in bytes (413 above). */
  MAX_SPEC_BYTES: envInt(50 * 1024 * 1024, 1024),
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
  .refine(hasAuthKey, AUTH_KEY_REQUIRED);
export type IntakeConfig = z.infer<typeof IntakeConfigSchema>;
export const INTAKE_CONFIG = Symbol('INTAKE_CONFIG');
