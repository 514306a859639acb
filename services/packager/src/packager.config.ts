import { commonEnvShape, envInt } from '@spectest/platform';
import { z } from 'zod';

export const packagerEnvShape = {
  /** Base of the artifact URL put in results; relative (`/v1/tasks/<id>/artifact`) when unset. */
  PUBLIC_BASE_URL: z.string().url().optional(),
};

export const PackagerConfigSchema = z.object({ ...commonEnvShape, ...packagerEnvShape, PORT: envInt(3004, 0, 65535) });
export type PackagerConfig = z.infer<typeof PackagerConfigSchema>;
export const PACKAGER_CONFIG = Symbol('PACKAGER_CONFIG');
