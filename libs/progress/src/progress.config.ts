import { envInt, loadConfigOrExit, parseConfig } from '@spectest/platform';
import { z } from 'zod';

/** Default of PROGRESS_BATCH_MAX: reports committed together in one transaction. */
export const DEFAULT_PROGRESS_BATCH_MAX = 500;

/** The writer's environment variables; every service that reports progress reads them through ProgressModule. */
export const progressEnvShape = {
  PROGRESS_BATCH_MAX: envInt(DEFAULT_PROGRESS_BATCH_MAX, 1, 5_000),
};

export interface ProgressConfig {
  PROGRESS_BATCH_MAX: number;
}

/** Parses the writer's variables; a bad value throws a ConfigError naming it. */
export function progressConfigFromEnv(env: NodeJS.ProcessEnv = process.env): ProgressConfig {
  return parseConfig(z.object(progressEnvShape), env);
}

/** For ProgressModule, once when a service starts: a bad value stops the process with one line naming it. */
export function progressConfigOrExit(env: NodeJS.ProcessEnv = process.env): ProgressConfig {
  return loadConfigOrExit(z.object(progressEnvShape), env);
}
