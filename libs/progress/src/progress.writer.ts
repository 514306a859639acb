import { TaskEvent, TaskSnapshot, initialTaskState, reduceProgress, subjects } from '@spectest/contracts';
import type { Messaging } from '@spectest/messaging';
import { SpecEntity, TaskEntity, snapshotToTaskColumns } from '@spectest/persistence';
import { DataSource } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { BatchOutcome, ReportFence, ReportItem, ReportResult, reduceBatch, taskIdsToLock } from './progress.batch';
import { DEFAULT_PROGRESS_BATCH_MAX } from './progress.config';
import { progressMetrics } from './progress.metrics';
import { insertEvents, lockTasks, updateSnapshots } from './progress.rows';

export type { ReportFence, ReportItem, ReportResult } from './progress.batch';

export interface NewTaskInput {
  taskId: string;
  tenant: string;
  name: string;
  createdAt: Date;
  deadlineAt: Date;
  options: Record<string, unknown>;
  spec: { id: string; content: Buffer; sha256: string };
  idempotencyKey: string | null;
  requestHash: string | null;
}

/** Where committed events go after the transaction; failures are logged, never thrown (the log is the truth). */
export interface EventPublisher {
  publishEvent(event: TaskEvent): Promise<void>;
}

export class MessagingEventPublisher implements EventPublisher {
  constructor(
    private readonly messaging: Messaging,
    private readonly onError: (err: unknown, event: TaskEvent) => void = () => undefined,
  ) {}

  async publishEvent(event: TaskEvent): Promise<void> {
    try {
      await this.messaging.publish(subjects.taskEvents(event.taskId), event);
    } catch (err) {
      // Subscribers poll the log as a safety net, so a lost fan-out message delays, never loses, an event.
      this.onError(err, event);
    }
  }
}

/** What one committed batch looked like (for metrics and benchmarks). */
export interface BatchStats {
  reports: number;
  tasks: number;
  events: number;
  commitMs: number;
}

export interface ProgressWriterOptions {
  /** Most reports committed in one transaction (PROGRESS_BATCH_MAX). */
  maxBatch?: number;
  clock?: () => Date;
  /** After each committed batch. */
  onBatch?: (stats: BatchStats) => void;
  /** A batch's transaction failed; its reports are retried one per transaction. */
  onBatchFailed?: (err: unknown, reports: number) => void;
}

/** `report` after `close()`: the report was not accepted, nothing was written. */
export class ProgressWriterClosedError extends Error {
  readonly code = 'writer_closed';
  constructor() {
    super('the progress writer is closed');
    this.name = 'ProgressWriterClosedError';
  }
}

interface Pending {
  item: ReportItem;
  resolve: (result: ReportResult) => void;
  reject: (err: unknown) => void;
}

/**
 * THE event writer: every change of a task's state goes through `report`. Reports wait in a queue;
 * one flush at a time takes up to `maxBatch` of them into ONE transaction: lock their task rows in id
 * order, run the pure reducer per report in arrival order, insert all events in one statement, update
 * each task's snapshot columns in one statement, commit, publish on task.<id>.events in seq order,
 * then answer each caller. Reports that arrive during a commit make the next batch, so an idle writer
 * adds no delay and a busy one commits many events per round trip.
 */
export class ProgressWriter {
  private readonly queue: Pending[] = [];
  private flushing: Promise<void> | null = null;
  private closed = false;
  private readonly maxBatch: number;
  private readonly clock: () => Date;

  constructor(
    private readonly ds: DataSource,
    private readonly publisher: EventPublisher,
    private readonly options: ProgressWriterOptions = {},
  ) {
    this.maxBatch = Math.max(1, Math.floor(options.maxBatch ?? DEFAULT_PROGRESS_BATCH_MAX));
    this.clock = options.clock ?? (() => new Date());
  }

  /** Inserts spec, task and its first event (`task.queued`, seq 1) atomically. */
  async createTask(input: NewTaskInput): Promise<{ snapshot: TaskSnapshot; event: TaskEvent }> {
    const { snapshot, event } = await this.ds.transaction(async (m) => {
      await m.getRepository(SpecEntity).insert({
        id: input.spec.id,
        tenant: input.tenant,
        sha256: input.spec.sha256,
        bytes: input.spec.content.length,
        content: input.spec.content,
        createdAt: input.createdAt,
      });
      const [{ n }] = await m.query(`SELECT count(*)::int AS n FROM tasks WHERE status = 'queued'`);
      const state = initialTaskState(input);
      const outcome = reduceProgress(state, { messageKey: 'task.queued', messageParams: { position: n + 1 } }, input.createdAt);
      if (!outcome.ok) throw new Error(`reducer refused the first event: ${outcome.detail}`);
      await m.getRepository(TaskEntity).insert({
        id: input.taskId,
        tenant: input.tenant,
        name: input.name,
        createdAt: input.createdAt,
        deadlineAt: input.deadlineAt,
        options: input.options,
        specId: input.spec.id,
        idempotencyKey: input.idempotencyKey,
        requestHash: input.requestHash,
        ...snapshotToTaskColumns(outcome.state),
      } as QueryDeepPartialEntity<TaskEntity>);
      await insertEvents(m, [outcome.event]);
      return { snapshot: outcome.state, event: outcome.event };
    });
    progressMetrics.eventsWritten().inc({ type: event.type });
    await this.publish([event]);
    return { snapshot, event };
  }

  async report(taskId: string, update: ReportItem['update'], fence?: ReportFence): Promise<ReportResult> {
    const [result] = await this.reportMany([{ taskId, update, ...(fence ? { fence } : {}) }]);
    return result;
  }

  /** One result per item, in order. The items are queued together, so one call's updates of a task keep their order. */
  reportMany(items: ReportItem[]): Promise<ReportResult[]> {
    if (this.closed) return Promise.reject(new ProgressWriterClosedError());
    const answers = items.map((item) => new Promise<ReportResult>((resolve, reject) => this.queue.push({ item, resolve, reject })));
    this.startFlushing();
    return Promise.all(answers);
  }

  /** Resolves once every report accepted so far is committed and answered; new reports are still taken. */
  async drain(): Promise<void> {
    while (this.flushing) await this.flushing;
  }

  /** Refuses new reports (ProgressWriterClosedError) and drains the accepted ones. */
  async close(): Promise<void> {
    this.closed = true;
    await this.drain();
  }

  private startFlushing(): void {
    if (this.flushing || this.queue.length === 0) return;
    // Flushing starts in a microtask, so the reports made in the same synchronous run join the first
    // batch; no timer, so fake timers in a test cannot stall the writer.
    this.flushing = Promise.resolve()
      .then(() => this.flushQueue())
      .finally(() => {
        this.flushing = null;
        this.startFlushing();
      });
  }

  private async flushQueue(): Promise<void> {
    while (this.queue.length > 0) await this.flush(this.queue.splice(0, this.maxBatch));
  }

  /** Never throws: every pending report is resolved or rejected. */
  private async flush(batch: Pending[]): Promise<void> {
    let outcome: BatchOutcome;
    let stats: BatchStats;
    try {
      ({ outcome, stats } = await this.commit(batch.map((p) => p.item)));
    } catch (err) {
      if (batch.length === 1) return batch[0].reject(err);
      // One bad report (or a passing failure) must not fail the others: retry each alone.
      try {
        progressMetrics.batchFallbacks().inc();
        this.options.onBatchFailed?.(err, batch.length);
      } catch {
        // A failing hook must not strand the batch's callers.
      }
      for (const pending of batch) await this.flush([pending]);
      return;
    }
    // Committed: from here nothing may send the batch to the retry path (it would write the events twice).
    this.observe(stats, outcome.events);
    await this.publish(outcome.events);
    batch.forEach((pending, i) => pending.resolve(outcome.results[i]));
  }

  private async commit(items: ReportItem[]): Promise<{ outcome: BatchOutcome; stats: BatchStats }> {
    const started = performance.now();
    const ids = taskIdsToLock(items);
    const outcome = await this.ds.transaction(async (m) => {
      const current = await lockTasks(m, ids);
      const reduced = reduceBatch(current, items, this.clock);
      await insertEvents(m, reduced.events);
      await updateSnapshots(m, reduced.snapshots);
      return reduced;
    });
    const stats = { reports: items.length, tasks: ids.length, events: outcome.events.length, commitMs: performance.now() - started };
    return { outcome, stats };
  }

  private observe(stats: BatchStats, events: readonly TaskEvent[]): void {
    try {
      progressMetrics.batchSize().observe(stats.reports);
      progressMetrics.commitDuration().observe(stats.commitMs / 1000);
      for (const e of events) progressMetrics.eventsWritten().inc({ type: e.type });
      this.options.onBatch?.(stats);
    } catch {
      // Metrics never fail a committed batch.
    }
  }

  /** After commit, in seq order per task. A publisher that throws loses the fan-out only; subscribers poll the log. */
  private async publish(events: readonly TaskEvent[]): Promise<void> {
    for (const event of events) {
      try {
        await this.publisher.publishEvent(event);
      } catch {
        // The event is committed; readers find it in the log.
      }
    }
  }
}
