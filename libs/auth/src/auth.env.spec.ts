import { z } from 'zod';
import { authConfigFromEnv, authEnvShape } from './auth.env';

const parse = (env: Record<string, string>) => authConfigFromEnv(z.object(authEnvShape).parse(env));

describe('authConfigFromEnv: AUTH_REQUIRE_EXP', () => {
  it('defaults to true with AUTH_MODE=jwt and to false with AUTH_MODE=dev', () => {
    expect(parse({ AUTH_MODE: 'jwt', AUTH_JWT_SECRET: 'a-secret-of-sixteen+' }).requireExp).toBe(true);
    expect(parse({}).requireExp).toBe(true);
    expect(parse({ AUTH_MODE: 'dev' }).requireExp).toBe(false);
  });

  it('follows the variable when it is set, and refuses a value that is not a boolean word', () => {
    expect(parse({ AUTH_MODE: 'jwt', AUTH_REQUIRE_EXP: 'false' }).requireExp).toBe(false);
    expect(parse({ AUTH_MODE: 'dev', AUTH_REQUIRE_EXP: 'yes' }).requireExp).toBe(true);
    expect(() => parse({ AUTH_REQUIRE_EXP: 'sometimes' })).toThrow();
  });
});
