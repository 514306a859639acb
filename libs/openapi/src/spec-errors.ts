import { AppError } from '@spectest/contracts';

export function invalidSpec(message: string, details: unknown[] = []): AppError {
  return new AppError('invalid_spec', message, 400, details);
}
