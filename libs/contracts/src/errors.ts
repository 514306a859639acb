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
  'timeout',
  'worker_failed',
  /** A work message that does not match its schema: the task cannot be worked on and fails at once. */
  'invalid_work_message',
  /** What an earlier stage stored for the task (its document, its options) is missing or unreadable. */
  'task_data_missing',
  /** A dependency (database, broker) is down: 503 with Retry-After; try again later. */
  'unavailable',
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
