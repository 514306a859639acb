import { ReadSpecStep } from '@spectest/openapi';

/** Where each sub-step of parsing starts inside the parsing band; a heartbeat creeps toward the next one. */
export const PARSE_STEP_PROGRESS: Record<ReadSpecStep, number> = { read: 0.1, validate: 0.3, dereference: 0.6, endpoints: 0.9 };
const NEXT_PROGRESS: Record<ReadSpecStep, number> = { read: 0.3, validate: 0.6, dereference: 0.9, endpoints: 1 };

export type StepReport = (step: ReadSpecStep, stageProgress: number) => Promise<void>;

/**
 * Progress of the parsing stage while one sub-step runs long (validating a 47 MB spec takes tens of
 * seconds in one swagger-parser call that reports nothing): every `intervalMs` it reports the current
 * step again, a little further on, so a watcher never sees a silent minute. Reports are chained, never
 * concurrent, so they reach the writer in order, and none is sent after `stop()` resolves (the stage's
 * `done` event must be the last of the stage). A heartbeat the writer refuses ends the heartbeats, and
 * its error is rethrown by the next step report or by `stop()`, so the stage sees it.
 */
export class ParseStepHeartbeat {
  private current: { step: ReadSpecStep; since: number } | null = null;
  private chain: Promise<void> = Promise.resolve();
  private timer: NodeJS.Timeout | null = null;
  private failure: unknown = null;

  constructor(
    private readonly report: StepReport,
    private readonly intervalMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  /** The readSpec step listener: reports the step at its start, then beats until the next one. */
  async step(step: ReadSpecStep): Promise<void> {
    const current = this.current;
    if (current?.step === step) {
      // Announced again (the caller began the step early): a beat now, where the step already stands.
      await this.enqueue(() => this.report(step, this.progressOf(current)));
      return;
    }
    this.current = { step, since: this.now() };
    await this.enqueue(() => this.report(step, PARSE_STEP_PROGRESS[step]));
    if (!this.timer && this.intervalMs > 0) {
      this.timer = setInterval(() => void this.beat(), this.intervalMs);
      this.timer.unref();
    }
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    this.current = null;
    await this.chain;
    if (this.failure) throw this.failure;
  }

  private async beat(): Promise<void> {
    const current = this.current;
    if (!current || this.failure) return;
    await this.enqueue(() => this.report(current.step, this.progressOf(current))).catch(() => undefined);
  }

  private progressOf(current: { step: ReadSpecStep; since: number }): number {
    const start = PARSE_STEP_PROGRESS[current.step];
    // Halves the distance to the next step every 10 s and stops short of it: no promise about the end.
    const share = 0.9 * (1 - Math.pow(0.5, (this.now() - current.since) / 10_000));
    return start + (NEXT_PROGRESS[current.step] - start) * share;
  }

  private enqueue(send: () => Promise<void>): Promise<void> {
    const next = this.chain.then(async () => {
      if (this.failure) throw this.failure;
      try {
        await send();
      } catch (error) {
        this.failure = error;
        if (this.timer) clearInterval(this.timer);
        this.timer = null;
        throw error;
      }
    });
    this.chain = next.catch(() => undefined);
    return next;
  }
}
