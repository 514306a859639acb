export interface BackoffOptions {
  /** Delay before the first retry, before jitter (default 250 ms). */
  initialDelayMs?: number;
  /** Ceiling of the delay, before jitter (default 10 s). */
  maxDelayMs?: number;
  /** Growth per failed attempt (default 2). */
  factor?: number;
}

/**
 * Exponential backoff with "equal jitter": half the capped exponential delay is fixed, the other half
 * random. The random half spreads the reconnects of thousands of clients whose gateway died at the
 * same instant; the fixed half keeps a client from hammering a server that is down.
 */
export function backoffDelay(attempt: number, options: BackoffOptions = {}, random: () => number = Math.random): number {
  const initial = options.initialDelayMs ?? 250;
  const max = options.maxDelayMs ?? 10_000;
  const factor = options.factor ?? 2;
  const capped = Math.min(max, initial * Math.pow(factor, Math.max(0, attempt)));
  return Math.round(capped / 2 + random() * (capped / 2));
}
