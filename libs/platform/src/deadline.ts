/** Thrown by `withDeadline` when the work did not settle in time. */
export class DeadlineExceededError extends Error {
  constructor(what: string, ms: number) {
    super(`${what}: no answer within ${ms} ms`);
    this.name = 'DeadlineExceededError';
  }
}

/**
 * `work`, or a DeadlineExceededError if it has not settled within `ms` (the timer is cleared either way).
 * The work itself goes on: this bounds how long a caller waits for it, e.g. a query to a database that
 * stopped answering, so the caller can answer `unavailable` instead of hanging.
 */
export function withDeadline<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    work.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new DeadlineExceededError(what, ms)), ms))),
  ]);
}
