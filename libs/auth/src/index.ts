export * from './auth.config';
export * from './auth.errors';
export * from './bearer';
export * from './token-verifier';
export * from './auth.constants';
export * from './auth.decorators';
export * from './bearer-auth.guard';
export * from './auth.module';
// For tests and docs only: signs HS256 tokens with a given secret.
export * from './test-tokens';
export * from './auth.env';
export * from './token-expiry';
