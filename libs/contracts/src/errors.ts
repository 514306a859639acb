/** Stable, snake_case error codes shared by every transport (REST problem+json, RPC, socket acks, task `error`). */
export const ERROR_CODES = [
  'invalid_request',
  'invalid_spec',
  'external_ref',
  'spec_too_large',
  'spec_too_deep',
  'too_many_operations',
  'no_operations',
  'unauthorized',
  'not_found',
  'conflict',
  'not_ready',
  'rate_limited',
  'too_many_tasks',
  'insufficient_tokens',
  'payload_too_large',
  'unsupported_media_type',
  'host_not_allowed',
  'origin_not_allowed',
  'request_timeout',
  'limit_exceeded',
  'unavailable',
  'timeout',
  'worker_failed',
  'internal',
] as const;
export type ErrorCode = (typeof ERROR_CODES)[number];

/** Base class of every error we throw on purpose: a stable code, a message for people, optional details. */
export class AppError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly status = 400,
    readonly details: unknown[] = [],
  ) {
    super(message);
    this.name = 'AppError';
  }
}
