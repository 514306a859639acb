import {
  ProgressUpdate,
  ReduceOutcome,
  TaskEvent,
  TaskSnapshot,
  initialTaskState,
  reduceProgress,
  subjects,
} from '@spectest/contracts';
import type { Messaging } from '@spectest/messaging';
import { SpecEntity, TaskEntity, TaskEventEntity, snapshotToTaskColumns, taskRowToSnapshot } from '@spectest/persistence';
import { DataSource, EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';

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

export type ReportResult =
  | { ok: true; event: TaskEvent; snapshot: TaskSnapshot }
  | { ok: false; reason: 'task_ended' | 'stage_order' | 'invalid_update' | 'not_found'; detail: string };

export interface ReportItem {
  taskId: string;
  update: ProgressUpdate;
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

/**
 * THE event writer: every change of a task's state goes through `report`. One transaction per event:
 * lock the task row, run the pure reducer, insert the event with the next seq, update the snapshot
 * columns, commit, then publish on task.<id>.events. The interface is batch-shaped so a batching
 * writer can replace the loop without touching callers.
 */
export class ProgressWriter {
  constructor(
    private readonly ds: DataSource,
    private readonly publisher: EventPublisher,
    private readonly clock: () => Date = () => new Date(),
  ) {}

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
      await this.insertEvent(m, outcome.event);
      return { snapshot: outcome.state, event: outcome.event };
    });
    await this.publisher.publishEvent(event);
    return { snapshot, event };
  }

  async report(taskId: string, update: ProgressUpdate): Promise<ReportResult> {
    const [result] = await this.reportMany([{ taskId, update }]);
    return result;
  }

  async reportMany(items: ReportItem[]): Promise<ReportResult[]> {
    const results: ReportResult[] = [];
    for (const item of items) {
      const result = await this.ds.transaction((m) => this.apply(m, item));
      if (result.ok) await this.publisher.publishEvent(result.event);
      results.push(result);
    }
    return results;
  }

  private async apply(m: EntityManager, { taskId, update }: ReportItem): Promise<ReportResult> {
    const row = await m
      .getRepository(TaskEntity)
      .createQueryBuilder('t')
      .setLock('pessimistic_write')
      .where('t.id = :taskId', { taskId })
      .getOne();
    if (!row) return { ok: false, reason: 'not_found', detail: `no task ${taskId}` };
    const outcome: ReduceOutcome = reduceProgress(taskRowToSnapshot(row), update, this.clock());
    if (!outcome.ok) return outcome;
    await this.insertEvent(m, outcome.event);
    await m
      .getRepository(TaskEntity)
      .update({ id: taskId }, snapshotToTaskColumns(outcome.state) as QueryDeepPartialEntity<TaskEntity>);
    return { ok: true, event: outcome.event, snapshot: outcome.state };
  }

  private async insertEvent(m: EntityManager, event: TaskEvent): Promise<void> {
    await m.getRepository(TaskEventEntity).insert({
      taskId: event.taskId,
      seq: event.seq,
      type: event.type,
      payload: event as unknown as Record<string, unknown>,
      createdAt: new Date(event.timestamp),
    } as QueryDeepPartialEntity<TaskEventEntity>);
  }
}
