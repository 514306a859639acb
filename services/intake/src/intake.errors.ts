import { AppError } from '@spectest/contracts';

/** 429 with Retry-After (the problem filter reads `retryAfterSeconds`). */
export class TooManyRequestsError extends AppError {
  constructor(
    code: 'rate_limited' | 'too_many_tasks',
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(code, message, 429);
  }
}

export const taskNotFound = (): AppError => new AppError('not_found', 'no such task', 404);
