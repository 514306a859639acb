import { JWTPayload, SignJWT } from 'jose';

export type TestTokenClaims = JWTPayload & { sub?: string; tenant?: string };

/**
 * An HS256 token for tests and docs. `expiresIn` is a jose time span ('1h', '10s') or epoch seconds,
 * one hour by default, as real tokens expire (AUTH_REQUIRE_EXP refuses those that do not); `null` gives
 * a token without `exp`.
 */
export async function signTestToken(secret: string, claims: TestTokenClaims, expiresIn: string | number | null = '1h'): Promise<string> {
  const jwt = new SignJWT(claims).setProtectedHeader({ alg: 'HS256', typ: 'JWT' }).setIssuedAt();
  if (expiresIn !== null) jwt.setExpirationTime(expiresIn);
  return jwt.sign(new TextEncoder().encode(secret));
}
