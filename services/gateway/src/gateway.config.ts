import { AUTH_KEY_REQUIRED, authEnvShape, hasAuthKey } from '@spectest/auth';
import { commonEnvShape, envInt } from '@spectest/platform';
import { z } from 'zod';

export const gatewayEnvShape = {
  ...authEnvShape,
  /** Tasks one socket may watch at once (`limit_exceeded` above). */
  MAX_SUBSCRIPTIONS_PER_SOCKET: envInt(100, 1, 10_000),
};

export const GatewayConfigSchema = z
  .object({ ...commonEnvShape, ...gatewayEnvShape, PORT: envInt(3001, 0, 65535) })
  .refine(hasAuthKey, AUTH_KEY_REQUIRED);
export type GatewayConfig = z.infer<typeof GatewayConfigSchema>;
export const GATEWAY_CONFIG = Symbol('GATEWAY_CONFIG');
