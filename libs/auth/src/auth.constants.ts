/** Injection token of the process-wide TokenVerifier (also used by the socket gateway's handshake). */
export const TOKEN_VERIFIER = Symbol('spectest:TOKEN_VERIFIER');
/** Injection token of the AuthConfig given to AuthModule. */
export const AUTH_CONFIG = Symbol('spectest:AUTH_CONFIG');
/** Metadata keys of the route decorators. */
export const ALLOW_QUERY_TOKEN = 'spectest:auth:allowQueryToken';
export const PUBLIC_ROUTE = 'spectest:auth:public';
