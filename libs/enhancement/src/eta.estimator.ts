/** What earlier runs of the same provider and model taught us (kept in Postgres by the caller). */
export interface ModelHistory {
  /** Wall time of one model call, calling to parsed answer, averaged over earlier runs. */
  msPerCall: number;
  /** Completion tokens of one call, averaged over earlier runs. */
  completionPerCall: number;
}

/** How far the estimate given when the stage was 25, 50 and 75% done was from the real remaining time. */
export interface EtaAccuracy {
  /** Absolute error in ms at each checkpoint the stage passed; null when the stage never gave an estimate there. */
  at25: number | null;
  at50: number | null;
  at75: number | null;
  /** Mean of the checkpoints with a value, or null. */
  meanAbsMs: number | null;
}

const CHECKPOINTS = [0.25, 0.5, 0.75] as const;
/** How many finished calls of this task weigh as much as the whole history (a prior worth two calls). */
const PRIOR_WEIGHT = 2;
/** A call counted as at most this much done from its streamed tokens, so an answer longer than usual never reads as finished. */
const MAX_LIVE_FRACTION = 0.9;

/**
 * The ETA of the enhancing stage. Work is counted in endpoint units: a finished endpoint is 1, an endpoint in flight
 * is the share of its expected tokens already streamed. Remaining units / the task's measured rate of units per ms,
 * blended with the rate the model's history predicts (concurrency calls in parallel, msPerCall each) while this task
 * has measured little. Null while neither source says anything. Pure: the caller passes the clock.
 */
export class EtaEstimator {
  private finished = 0;
  private answered = 0;
  private completionOfAnswered = 0;
  private readonly samples = new Map<number, { at: number; etaMs: number }>();

  constructor(
    private readonly total: number,
    private readonly concurrency: number,
    private readonly startedAt: number,
    private readonly history: ModelHistory | null,
  ) {}

  /** Completion tokens one call is expected to produce: this task's mean once known, else the history's. */
  expectedCompletion(): number | null {
    if (this.answered > 0 && this.completionOfAnswered > 0) return this.completionOfAnswered / this.answered;
    return this.history && this.history.completionPerCall > 0 ? this.history.completionPerCall : null;
  }

  /** An endpoint is over (merged or fallen back); `completion` is what its call produced when the model answered. */
  endpointFinished(completion?: number): void {
    this.finished += 1;
    if (completion === undefined) return;
    this.answered += 1;
    this.completionOfAnswered += completion;
  }

  /** Units of work done: finished endpoints plus the streamed share of those in flight. */
  unitsDone(liveCompletions: number[]): number {
    const expected = this.expectedCompletion();
    const live = expected ? liveCompletions.reduce((n, c) => n + Math.min(MAX_LIVE_FRACTION, c / expected), 0) : 0;
    return Math.min(this.total, this.finished + live);
  }

  /** Remaining ms of the stage at `now`, or null. Records the checkpoint samples as the stage passes them. */
  estimate(now: number, liveCompletions: number[]): number | null {
    if (this.total === 0) return 0;
    const done = this.unitsDone(liveCompletions);
    const remaining = this.total - done;
    const elapsed = Math.max(1, now - this.startedAt);
    const parallel = Math.max(1, Math.min(this.concurrency, this.total));
    const priorRate = this.history && this.history.msPerCall > 0 ? parallel / this.history.msPerCall : null;
    const measuredRate = this.finished > 0 ? done / elapsed : null;
    let rate: number | null;
    if (measuredRate !== null && priorRate !== null) {
      const w = this.finished / (this.finished + PRIOR_WEIGHT);
      rate = w * measuredRate + (1 - w) * priorRate;
    } else {
      rate = measuredRate ?? priorRate;
    }
    if (rate === null || rate <= 0) return null;
    const etaMs = Math.max(0, Math.round(remaining / rate));
    const fraction = done / this.total;
    for (const c of CHECKPOINTS) if (fraction >= c && !this.samples.has(c)) this.samples.set(c, { at: now, etaMs });
    return etaMs;
  }

  /** At the end of the stage: how wrong the checkpoint estimates were. */
  accuracy(endedAt: number): EtaAccuracy {
    const err = (c: number) => {
      const s = this.samples.get(c);
      return s ? Math.abs(s.etaMs - (endedAt - s.at)) : null;
    };
    const [at25, at50, at75] = CHECKPOINTS.map(err);
    const known = [at25, at50, at75].filter((v): v is number => v !== null);
    return { at25, at50, at75, meanAbsMs: known.length ? Math.round(known.reduce((a, b) => a + b, 0) / known.length) : null };
  }
}
