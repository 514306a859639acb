import { envInt } from '@spectest/platform';
import { z } from 'zod';

/** Settings of the single-process default; every service variable (LOG_LEVEL, SPEC_MAX_BYTES, ...) also applies. */
export const EmbeddedConfigSchema = z.object({
  PORT: envInt(3000, 0, 65535),
  /** Folder of the embedded PostgreSQL cluster: tasks and artifacts survive restarts there. */
  SPECTEST_DATA_DIR: z.string().min(1).default('.data'),
  /** Port of the embedded PostgreSQL (loopback only). */
  EMBEDDED_PG_PORT: envInt(54329, 1024, 65535),
  /** Use this PostgreSQL instead of starting the embedded one. */
  DATABASE_URL: z.string().regex(/^postgres(ql)?:\/\//).optional(),
});
export type EmbeddedConfig = z.infer<typeof EmbeddedConfigSchema>;
