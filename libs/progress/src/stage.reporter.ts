import { ProgressUpdate, Stage, TaskError } from '@spectest/contracts';
import type { ProgressWriter, ReportResult } from './progress.writer';

/** The task ended (cancelled, timed out, failed elsewhere) while a stage was working: stop quietly. */
export class TaskEndedError extends Error {
  constructor(readonly taskId: string) {
    super(`task ${taskId} has already ended`);
    this.name = 'TaskEndedError';
  }
}

export type StageReport = Omit<ProgressUpdate, 'stage' | 'type'>;

/**
 * A stage's handle on the event writer: every update is tagged with the stage, refusals are turned
 * into TaskEndedError, and frequent updates (per endpoint, per token) can be coalesced at the source
 * to a few events a second. The first and the forced updates always go through.
 */
export class StageReporter {
  private lastAt = 0;

  constructor(
    private readonly writer: ProgressWriter,
    readonly taskId: string,
    readonly stage: Stage,
    private readonly minIntervalMs = 250,
    private readonly now: () => number = Date.now,
  ) {}

  async report(update: StageReport): Promise<void> {
    this.lastAt = this.now();
    this.check(await this.writer.report(this.taskId, { ...update, stage: this.stage }));
  }

  /** Reports unless another update went out less than `minIntervalMs` ago. Returns whether it was sent. */
  async reportCoalesced(update: StageReport): Promise<boolean> {
    if (this.lastAt && this.now() - this.lastAt < this.minIntervalMs) return false;
    await this.report(update);
    return true;
  }

  async done(update: StageReport): Promise<void> {
    await this.report({ ...update, stageStatus: 'done' });
  }

  async skipped(update: StageReport): Promise<void> {
    await this.report({ ...update, stageStatus: 'skipped' });
  }

  /** Ends the task as failed in this stage. Refusal (already ended) is not an error here. */
  async fail(error: TaskError): Promise<void> {
    await this.writer.report(this.taskId, {
      type: 'failed',
      stage: this.stage,
      stageStatus: 'failed',
      messageKey: 'task.failed',
      messageParams: { reason: error.message },
      error,
    });
  }

  private check(result: ReportResult): void {
    if (result.ok) return;
    if (result.reason === 'task_ended' || result.reason === 'not_found') throw new TaskEndedError(this.taskId);
    throw new Error(`progress update refused for task ${this.taskId}: ${result.reason}: ${result.detail}`);
  }
}
