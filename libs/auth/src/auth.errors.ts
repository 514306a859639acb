import { AppError } from '@spectest/contracts';

/**
 * A missing, malformed, expired or untrusted token. `reason` is a fixed phrase (never the token,
 * the secret or a key), safe to show the caller and to log.
 */
export class UnauthorizedError extends AppError {
  constructor(readonly reason: string) {
    super('unauthorized', `Unauthorized: ${reason}`, 401);
    this.name = 'UnauthorizedError';
  }
}
