import { z } from 'zod';

export class ConfigError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ConfigError';
  }
}

const BOOLEAN_WORDS = ['true', 'false', '1', '0', 'yes', 'no'] as const;
const isTrueWord = (v: (typeof BOOLEAN_WORDS)[number]): boolean => v === 'true' || v === '1' || v === 'yes';

/** `true/false/1/0/yes/no` from the environment. */
export const envBoolean = (dflt: boolean) =>
  z
    .enum(BOOLEAN_WORDS)
    .default(dflt ? 'true' : 'false')
    .transform(isTrueWord);

/** The same words, undefined when unset: for a default that depends on another variable. */
export const envOptionalBoolean = () =>
  z
    .enum(BOOLEAN_WORDS)
    .optional()
    .transform((v) => (v === undefined ? undefined : isTrueWord(v)));

export const envInt = (dflt: number, min = 0, max = Number.MAX_SAFE_INTEGER) => z.coerce.number().int().min(min).max(max).default(dflt);

/** Default of PROGRESS_BATCH_MAX: progress reports the event writer (libs/progress) commits in one transaction. */
export const DEFAULT_PROGRESS_BATCH_MAX = 500;

/** Variables every service reads. Each service's schema extends these. */
export const commonEnvShape = {
  LOG_LEVEL: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//, 'must be a postgres:// URL'),
  DB_POOL_SIZE: envInt(10, 1, 200),
  DB_MIGRATE: envBoolean(true),
  NATS_URL: z.string().default('nats://127.0.0.1:4222'),
  NATS_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9_-]{1,40}$/, 'letters, digits, _ and - only')
    .default('spectest'),
  SHUTDOWN_TIMEOUT_MS: envInt(25_000, 1000, 600_000),
  /**
   * Address to listen on. Unset: 127.0.0.1 with AUTH_MODE=dev (no tokens: only this machine may call),
   * 0.0.0.0 otherwise (a container behind its Service or load balancer).
   */
  HOST: z.string().min(1).optional(),
  /** A request's headers must have arrived this long after its connection (or its previous request). */
  HTTP_HEADERS_TIMEOUT_MS: envInt(20_000, 1000, 600_000),
  /** A request, body included, must have arrived this long after it started; the answer may take longer (SSE). */
  HTTP_REQUEST_TIMEOUT_MS: envInt(120_000, 1000, 3_600_000),
  /** Every service runs the event writer (libs/runtime gives it this value); 1: one transaction per report. */
  PROGRESS_BATCH_MAX: envInt(DEFAULT_PROGRESS_BATCH_MAX, 1, 5_000),
};

/**
 * Parses the environment once at start. A bad value gives one clear line naming the variable;
 * `loadConfigOrExit` prints it and stops the process.
 */
export function parseConfig<S extends z.ZodTypeAny>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  const parsed = schema.safeParse(env);
  if (parsed.success) return parsed.data;
  const issues = parsed.error.issues.map((i) => `${i.path.join('.') || '(env)'}: ${i.message}`).join('; ');
  throw new ConfigError(`config error: ${issues}`);
}

export function loadConfigOrExit<S extends z.ZodTypeAny>(schema: S, env: NodeJS.ProcessEnv = process.env): z.infer<S> {
  try {
    return parseConfig(schema, env);
  } catch (err) {
    process.stderr.write(`${(err as Error).message}\n`);
    process.exit(1);
  }
}
