import { ProgressUpdate, Stage, TaskError, TaskResult } from '@spectest/contracts';
import type { ProgressWriter, ReportFence, ReportResult } from './progress.writer';

/** The task ended (cancelled, timed out, failed elsewhere) while a stage was working: stop quietly. */
export class TaskEndedError extends Error {
  constructor(readonly taskId: string) {
    super(`task ${taskId} has already ended`);
    this.name = 'TaskEndedError';
  }
}

/** The run's dispatch or lease is no longer current (a newer dispatch, or another delivery took over): stop, change nothing. */
export class StaleDispatchError extends Error {
  constructor(
    readonly taskId: string,
    detail: string,
  ) {
    super(`task ${taskId}: ${detail}`);
    this.name = 'StaleDispatchError';
  }
}

/** The stage stands elsewhere than the run thought (it moved on meanwhile): read what is stored and resume from there. */
export class StageOrderError extends Error {
  constructor(
    readonly taskId: string,
    detail: string,
  ) {
    super(`task ${taskId}: ${detail}`);
    this.name = 'StageOrderError';
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
    /** The run's dispatch and lease: reports of a run that is no longer current are refused. */
    private readonly fence?: ReportFence,
  ) {}

  async report(update: StageReport): Promise<void> {
    this.lastAt = this.now();
    this.check(await this.writer.report(this.taskId, { ...update, stage: this.stage }, this.fence));
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

  /** Ends the task as completed with `result` (the last stage's last report). */
  async complete(result: TaskResult, update: StageReport): Promise<void> {
    this.check(await this.writer.report(this.taskId, { ...update, type: 'completed', stage: this.stage, stageStatus: 'done', result }, this.fence));
  }

  /** Ends the task as failed in this stage. Refusal (already ended) is not an error here. */
  async fail(error: TaskError): Promise<void> {
    const result = await this.writer.report(
      this.taskId,
      { type: 'failed', stage: this.stage, stageStatus: 'failed', messageKey: 'task.failed', messageParams: { reason: error.message }, error },
      this.fence,
    );
    if (!result.ok && result.reason === 'stale_dispatch') throw new StaleDispatchError(this.taskId, result.detail);
  }

  private check(result: ReportResult): void {
    if (result.ok) return;
    if (result.reason === 'task_ended' || result.reason === 'not_found') throw new TaskEndedError(this.taskId);
    if (result.reason === 'stale_dispatch') throw new StaleDispatchError(this.taskId, result.detail);
    if (result.reason === 'stage_order') throw new StageOrderError(this.taskId, result.detail);
    throw new Error(`progress update refused for task ${this.taskId}: ${result.reason}: ${result.detail}`);
  }
}
