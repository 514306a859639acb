import { envOptionalBoolean } from '@spectest/platform';
import { z } from 'zod';
import { AuthConfig } from './auth.config';

/** The auth variables of every service that checks tokens (intake, gateway). */
export const authEnvShape = {
  AUTH_MODE: z.enum(['jwt', 'dev']).default('jwt'),
  AUTH_JWT_SECRET: z.string().min(16, 'must be at least 16 characters').optional(),
  AUTH_JWKS_URL: z.string().url().optional(),
  /** Refuse tokens without `exp`. Unset: true with AUTH_MODE=jwt, false with AUTH_MODE=dev. */
  AUTH_REQUIRE_EXP: envOptionalBoolean(),
};

type AuthEnv = { AUTH_MODE: 'jwt' | 'dev'; AUTH_JWT_SECRET?: string; AUTH_JWKS_URL?: string; AUTH_REQUIRE_EXP?: boolean };

/** For `.refine`: AUTH_MODE=jwt needs a secret or a JWKS URL, so a misconfigured service refuses to start. */
export const hasAuthKey = (c: AuthEnv): boolean => c.AUTH_MODE === 'dev' || Boolean(c.AUTH_JWT_SECRET || c.AUTH_JWKS_URL);
export const AUTH_KEY_REQUIRED = {
  message: 'AUTH_JWT_SECRET (or AUTH_JWKS_URL) is required when AUTH_MODE=jwt',
  path: ['AUTH_JWT_SECRET'],
};

export const authConfigFromEnv = (c: AuthEnv): AuthConfig => ({
  mode: c.AUTH_MODE,
  jwtSecret: c.AUTH_JWT_SECRET,
  jwksUrl: c.AUTH_JWKS_URL,
  requireExp: c.AUTH_REQUIRE_EXP ?? c.AUTH_MODE === 'jwt',
});
