import { hasUnstorableText } from '@spectest/contracts';
import { JWTPayload, JWTVerifyGetKey, ProtectedHeaderParameters, createRemoteJWKSet, jwtVerify } from 'jose';
import { AuthConfig, DEV_PRINCIPAL, Principal } from './auth.config';
import { UnauthorizedError } from './auth.errors';

export interface TokenVerifier {
  /** The principal of a token; in dev mode a missing token is the dev principal. Throws UnauthorizedError. */
  verify(token: string | undefined | null): Promise<Principal>;
}

/** Tokens are a few hundred bytes; anything this large is refused before any crypto. */
const MAX_TOKEN_LENGTH = 8192;

/**
 * Builds the verifier once per process (the JWKS is fetched lazily and cached by jose).
 * Throws a plain Error at start when the config cannot verify anything in `jwt` mode.
 */
export function createTokenVerifier(config: AuthConfig): TokenVerifier {
  if (config.mode !== 'jwt' && config.mode !== 'dev') throw new Error(`AuthConfig: unknown mode ${String(config.mode)}`);
  if (config.mode === 'jwt' && !config.jwtSecret && !config.jwksUrl) {
    throw new Error('AuthConfig: mode jwt needs jwtSecret (AUTH_JWT_SECRET) or jwksUrl (AUTH_JWKS_URL)');
  }
  const secret = config.jwtSecret ? new TextEncoder().encode(config.jwtSecret) : null;
  const jwks = config.jwksUrl ? createRemoteJWKSet(new URL(config.jwksUrl)) : null;
  // Pinned: HS256 only with our secret, RS256 only from the JWKS; `none`, HS512, ES256... are refused.
  const algorithms = [...(secret ? ['HS256'] : []), ...(jwks ? ['RS256'] : [])];
  const requireExp = config.requireExp ?? config.mode === 'jwt';

  // Key by the token's alg, so an RSA public key can never be used as an HMAC secret.
  const getKey: JWTVerifyGetKey = async (header: ProtectedHeaderParameters, token) => {
    if (header.alg === 'HS256' && secret) return secret;
    if (header.alg === 'RS256' && jwks) {
      try {
        return await jwks(header, token);
      } catch (err) {
        const code = (err as { code?: string } | null)?.code;
        if (code === 'ERR_JWKS_NO_MATCHING_KEY' || code === 'ERR_JWKS_MULTIPLE_MATCHING_KEYS') throw err;
        // Not the caller's fault, but without keys nothing can be trusted: still 401, with a reason operators can act on.
        throw new UnauthorizedError('key set unavailable');
      }
    }
    throw new UnauthorizedError('algorithm not allowed');
  };

  return {
    async verify(token) {
      if (token === undefined || token === null || token === '') {
        if (config.mode === 'dev') return { ...DEV_PRINCIPAL };
        throw new UnauthorizedError('missing bearer token');
      }
      if (algorithms.length === 0) throw new UnauthorizedError('tokens cannot be verified here (no key configured)');
      if (token.length > MAX_TOKEN_LENGTH) throw new UnauthorizedError('malformed token');
      let payload: JWTPayload;
      try {
        ({ payload } = await jwtVerify(token, getKey, { algorithms, issuer: config.issuer, audience: config.audience }));
      } catch (err) {
        throw err instanceof UnauthorizedError ? err : new UnauthorizedError(reasonOf(err));
      }
      if (requireExp && payload.exp === undefined) throw new UnauthorizedError('token has no exp claim');
      return principalOf(payload);
    },
  };
}

/** Longest `sub` or `tenant` accepted: they are stored with every task and shown in snapshots. */
const MAX_NAME_LENGTH = 200;
const usableName = (v: string): boolean => v.length > 0 && v.length <= MAX_NAME_LENGTH && !hasUnstorableText(v);

function principalOf(payload: JWTPayload): Principal {
  const { sub, tenant, exp } = payload as JWTPayload & { tenant?: unknown };
  if (typeof sub !== 'string' || sub.length === 0) throw new UnauthorizedError('token has no sub claim');
  if (!usableName(sub)) throw new UnauthorizedError('sub claim is not a usable name');
  if (tenant !== undefined && (typeof tenant !== 'string' || tenant.length === 0)) {
    throw new UnauthorizedError('tenant claim must be a non-empty string');
  }
  if (tenant !== undefined && !usableName(tenant)) throw new UnauthorizedError('tenant claim is not a usable name');
  return { subject: sub, tenant: (tenant as string | undefined) ?? sub, expiresAt: typeof exp === 'number' ? exp * 1000 : null };
}

/** A fixed phrase per jose error code: jose messages are fine, but fixed phrases cannot leak anything. */
function reasonOf(err: unknown): string {
  const code = (err as { code?: string } | null)?.code;
  switch (code) {
    case 'ERR_JWT_EXPIRED':
      return 'token expired';
    case 'ERR_JWT_CLAIM_VALIDATION_FAILED': {
      const claim = (err as { claim?: string }).claim;
      return claim && /^[a-z]{1,10}$/.test(claim) ? `claim ${claim} invalid` : 'claim invalid';
    }
    case 'ERR_JOSE_ALG_NOT_ALLOWED':
    case 'ERR_JOSE_NOT_SUPPORTED':
      return 'algorithm not allowed';
    case 'ERR_JWS_SIGNATURE_VERIFICATION_FAILED':
      return 'invalid signature';
    case 'ERR_JWKS_NO_MATCHING_KEY':
    case 'ERR_JWKS_MULTIPLE_MATCHING_KEYS':
      return 'no matching key';
    case 'ERR_JWKS_TIMEOUT':
    case 'ERR_JWKS_INVALID':
      return 'key set unavailable';
    case 'ERR_JWS_INVALID':
    case 'ERR_JWT_INVALID':
      return 'malformed token';
    default:
      return 'invalid token';
  }
}
