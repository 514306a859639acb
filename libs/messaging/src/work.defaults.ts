import type { ConsumeOptions } from './messaging.types';

/** ConsumeOptions with every default applied; both implementations read the same numbers. */
export interface ResolvedConsumeOptions {
  concurrency: number;
  maxDeliver: number;
  ackWaitMs: number;
  retryBackoffMs: number[];
  onGiveUp?: ConsumeOptions['onGiveUp'];
  onPoison?: ConsumeOptions['onPoison'];
  gate?: ConsumeOptions['gate'];
  isTransient: (error: unknown) => boolean;
}

/** How long a work message's dedup id is remembered by the broker (and by the in-process twin). */
export const WORK_DEDUP_WINDOW_MS = 120_000;

export const WORK_DEFAULTS = {
  concurrency: 1,
  maxDeliver: 5,
  /** Short, with progress every ackWait/5 from live holders, so a dead holder's message comes back in seconds. */
  ackWaitMs: 10_000,
  retryBackoffMs: [1_000, 5_000, 15_000, 30_000],
  /** How long drain() waits for in-flight handlers when the caller gives no timeout. */
  drainTimeoutMs: 10_000,
} as const;

export function resolveConsumeOptions(options: ConsumeOptions = {}): ResolvedConsumeOptions {
  const resolved: ResolvedConsumeOptions = {
    concurrency: options.concurrency ?? WORK_DEFAULTS.concurrency,
    maxDeliver: options.maxDeliver ?? WORK_DEFAULTS.maxDeliver,
    ackWaitMs: options.ackWaitMs ?? WORK_DEFAULTS.ackWaitMs,
    retryBackoffMs: options.retryBackoffMs?.length ? [...options.retryBackoffMs] : [...WORK_DEFAULTS.retryBackoffMs],
    onGiveUp: options.onGiveUp,
    onPoison: options.onPoison,
    gate: options.gate,
    isTransient: options.isTransient ?? (() => false),
  };
  // A bad option is a programming error: fail at consumeWork, not on the first message.
  if (!Number.isInteger(resolved.concurrency) || resolved.concurrency < 1) throw new RangeError('concurrency must be an integer >= 1');
  if (!Number.isInteger(resolved.maxDeliver) || resolved.maxDeliver < 1) throw new RangeError('maxDeliver must be an integer >= 1');
  if (!(resolved.ackWaitMs >= 1)) throw new RangeError('ackWaitMs must be >= 1');
  if (resolved.retryBackoffMs.some((ms) => !(ms >= 0))) throw new RangeError('retryBackoffMs must be >= 0');
  return resolved;
}

/** Backoff for the n-th failed attempt (1-based); the last configured value repeats. */
export function backoffFor(attempt: number, retryBackoffMs: readonly number[]): number {
  return retryBackoffMs[Math.min(attempt, retryBackoffMs.length) - 1] ?? 0;
}
