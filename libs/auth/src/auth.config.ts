/**
 * How a service checks bearer tokens (API.md, Authentication).
 * - `jwt`: every request needs a token: HS256 signed with `jwtSecret`, and/or RS256 from `jwksUrl`.
 * - `dev`: a request without a token is tenant `dev`; a token that is given is still verified.
 *   Only for the embedded default, never for a deployment.
 */
export interface AuthConfig {
  mode: 'jwt' | 'dev';
  /** HS256 shared secret (`AUTH_JWT_SECRET`). */
  jwtSecret?: string;
  /** JWKS of an identity provider (`AUTH_JWKS_URL`); enables RS256 tokens. */
  jwksUrl?: string;
  /** When set, the `iss` claim must equal it. */
  issuer?: string;
  /** When set, the `aud` claim must contain it. */
  audience?: string;
  /**
   * Refuse tokens without an `exp` claim (`AUTH_REQUIRE_EXP`): such a token is valid forever once leaked.
   * Default: true in `jwt` mode, false in `dev` mode.
   */
  requireExp?: boolean;
}

/** Who made a request, as established by a verified token (or the dev default). */
export interface Principal {
  /** The `sub` claim. */
  subject: string;
  /** The `tenant` claim, or `sub` when absent. Tasks belong to it. */
  tenant: string;
  /** When the token expires, epoch milliseconds; null when it has no `exp` (or in dev mode without a token). */
  expiresAt: number | null;
}

export const DEV_PRINCIPAL: Readonly<Principal> = Object.freeze({ subject: 'dev', tenant: 'dev', expiresAt: null });
