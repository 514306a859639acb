import type { TaskEvent, TaskSnapshot, TaskStatus } from '@spectest/contracts';
import { DataSource, EntityManager } from 'typeorm';
import { SpecEntity } from './entities/spec.entity';
import { TaskEventEntity } from './entities/task-event.entity';
import { TaskEntity } from './entities/task.entity';
import { taskRowToSnapshot } from './task.mapper';

/** Slice size for reading a stored spec back (see getSpecContent). */
export const SPEC_READ_SLICE_BYTES = 1024 * 1024;

export interface TaskPage {
  items: TaskSnapshot[];
  nextCursor: string | null;
}

export interface TaskRecord {
  snapshot: TaskSnapshot;
  options: Record<string, unknown>;
  specId: string;
  deadlineAt: Date;
  requestHash: string | null;
}

interface Cursor {
  c: string;
  i: string;
}
const encodeCursor = (row: TaskEntity): string =>
  Buffer.from(JSON.stringify({ c: row.createdAt.toISOString(), i: row.id } satisfies Cursor)).toString('base64url');

/** Decodes a list cursor; null when it is not one of ours (the caller answers 400). */
export function decodeCursor(cursor: string): Cursor | null {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (typeof v?.c === 'string' && typeof v?.i === 'string' && !Number.isNaN(Date.parse(v.c))) return v;
  } catch {
    /* fall through */
  }
  return null;
}

const toRecord = (row: TaskEntity): TaskRecord => ({
  snapshot: taskRowToSnapshot(row),
  options: row.options,
  specId: row.specId,
  deadlineAt: row.deadlineAt,
  requestHash: row.requestHash,
});

/** Reads of tasks, specs and events. Writes of task state belong to the progress writer alone. */
export class TaskStore {
  constructor(private readonly ds: DataSource) {}

  async insertSpec(spec: SpecEntity, manager: EntityManager = this.ds.manager): Promise<void> {
    await manager.getRepository(SpecEntity).insert(spec);
  }

  /**
   * The stored spec, read in slices of `sliceBytes`: Postgres sends bytea as hex text, so one read of a
   * 49 MiB spec is a 98 MB string gathered and decoded at once. Slices keep each decode short and let other
   * work (health probes, other tasks) run between them; measured on 49 MiB: 456-537 ms and a longest
   * event-loop block of 30-38 ms read whole, 293-351 ms and 22-28 ms in 1 MiB slices.
   */
  async getSpecContent(specId: string, sliceBytes = SPEC_READ_SLICE_BYTES): Promise<Buffer | null> {
    const [head] = (await this.ds.query(`SELECT octet_length(content) AS n FROM specs WHERE id = $1`, [specId])) as { n: number }[];
    if (!head) return null;
    const parts: Buffer[] = [];
    for (let from = 0; from < head.n; from += sliceBytes) {
      // substring() on bytea counts from 1.
      const [row] = (await this.ds.query(`SELECT substring(content FROM $2 FOR $3) AS part FROM specs WHERE id = $1`, [
        specId,
        from + 1,
        sliceBytes,
      ])) as { part: Buffer }[];
      if (!row) return null;
      parts.push(row.part);
    }
    return Buffer.concat(parts, head.n);
  }

  /** A task by id, for workers (no tenant scoping: work messages come from inside the system). */
  async get(taskId: string): Promise<TaskRecord | null> {
    const row = await this.ds.getRepository(TaskEntity).findOne({ where: { id: taskId } });
    return row ? toRecord(row) : null;
  }

  /** A task as its tenant sees it; another tenant's task is indistinguishable from a missing one. */
  async getForTenant(taskId: string, tenant: string): Promise<TaskRecord | null> {
    const row = await this.ds.getRepository(TaskEntity).findOne({ where: { id: taskId, tenant } });
    return row ? toRecord(row) : null;
  }

  async findByIdempotencyKey(tenant: string, key: string): Promise<TaskRecord | null> {
    const row = await this.ds.getRepository(TaskEntity).findOne({ where: { tenant, idempotencyKey: key } });
    return row ? toRecord(row) : null;
  }

  /** Newest first, keyset-paginated on (created_at, id). */
  async list(tenant: string, opts: { status?: TaskStatus; limit: number; cursor?: Cursor | null }): Promise<TaskPage> {
    const qb = this.ds
      .getRepository(TaskEntity)
      .createQueryBuilder('t')
      .where('t.tenant = :tenant', { tenant })
      .orderBy('t.created_at', 'DESC')
      .addOrderBy('t.id', 'DESC')
      .limit(opts.limit + 1);
    if (opts.status) qb.andWhere('t.status = :status', { status: opts.status });
    if (opts.cursor) qb.andWhere('(t.created_at, t.id) < (:c, :i)', { c: opts.cursor.c, i: opts.cursor.i });
    const rows = await qb.getMany();
    const page = rows.slice(0, opts.limit);
    return {
      items: page.map(taskRowToSnapshot),
      nextCursor: rows.length > opts.limit ? encodeCursor(page[page.length - 1]) : null,
    };
  }

  /** Tasks of a tenant not yet ended (for the concurrency limit). */
  async countActive(tenant: string): Promise<number> {
    return this.ds.getRepository(TaskEntity).count({ where: [{ tenant, status: 'queued' }, { tenant, status: 'running' }] });
  }

  /** Queued tasks created before this one, for the `task.queued` position. */
  async countQueuedBefore(createdAt: Date): Promise<number> {
    const [{ n }] = await this.ds.query(`SELECT count(*)::int AS n FROM tasks WHERE status = 'queued' AND created_at < $1`, [
      createdAt,
    ]);
    return n;
  }

  /** Events with seq > afterSeq, in order, at most `limit`. */
  async readEvents(taskId: string, afterSeq: number, limit: number, uptoSeq?: number): Promise<TaskEvent[]> {
    const qb = this.ds
      .getRepository(TaskEventEntity)
      .createQueryBuilder('e')
      .select(['e.payload'])
      .where('e.task_id = :taskId AND e.seq > :afterSeq', { taskId, afterSeq })
      .orderBy('e.seq', 'ASC')
      .limit(limit);
    if (uptoSeq !== undefined) qb.andWhere('e.seq <= :uptoSeq', { uptoSeq });
    const rows = await qb.getMany();
    return rows.map((r) => r.payload as unknown as TaskEvent);
  }

  /** The last event of a task with this message key, or null. */
  async findLastEvent(taskId: string, messageKey: string): Promise<TaskEvent | null> {
    const rows: { payload: TaskEvent }[] = await this.ds.query(
      `SELECT payload FROM task_events WHERE task_id = $1 AND payload->>'messageKey' = $2 ORDER BY seq DESC LIMIT 1`,
      [taskId, messageKey],
    );
    return rows[0]?.payload ?? null;
  }

  /** Active tasks past their deadline (for the reaper). */
  async findOverdue(now: Date, limit = 100): Promise<string[]> {
    const rows: { id: string }[] = await this.ds.query(
      `SELECT id FROM tasks WHERE status IN ('queued','running') AND deadline_at < $1 ORDER BY deadline_at LIMIT $2`,
      [now, limit],
    );
    return rows.map((r) => r.id);
  }

  /** Active tasks, to resume after a restart of the embedded process (its in-memory queue is gone). */
  async findActive(limit = 1000): Promise<{ id: string; stage: string | null; stages: unknown[] }[]> {
    return this.ds.query(
      `SELECT id, stage, stages FROM tasks WHERE status IN ('queued','running') ORDER BY created_at LIMIT $1`,
      [limit],
    );
  }
}
