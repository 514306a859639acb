import type { WorkStage } from '@spectest/contracts';
import { DataSource } from 'typeorm';

/** The current dispatch of a task: the one work message that may act on it. */
export interface Dispatch {
  taskId: string;
  generation: number;
  stage: WorkStage;
}

/** Who may run a stage: a delivery's lease on the task, taken by `claim` and renewed while it runs. */
export interface Lease extends Dispatch {
  owner: string;
}

export type ClaimResult =
  | { kind: 'claimed' }
  | { kind: 'missing' }
  | { kind: 'ended' }
  /** The message is of an older generation, or for a stage the task has left: it does nothing. */
  | { kind: 'stale'; current: Dispatch }
  /** Another delivery of this dispatch holds a live lease (for `leftMs` more, unless renewed). */
  | { kind: 'held'; leftMs: number };

interface DispatchRow {
  status: string;
  generation: number;
  stage: string;
  lease_owner: string | null;
  lease_left_ms: number | null;
}

const ACTIVE = `status IN ('queued', 'running')`;

/**
 * The dispatch columns of `tasks` (see the DispatchAndCheckpoints migration). Every change is one UPDATE
 * with its condition in the WHERE clause, so concurrent workers, replicas and the dispatcher can never
 * both win: the row lock orders them, the loser's condition no longer holds.
 */
export class DispatchStore {
  constructor(private readonly ds: DataSource) {}

  async claim(dispatch: Dispatch, owner: string, ttlMs: number): Promise<ClaimResult> {
    const claimed = await this.update(
      `SET lease_owner = $4, lease_expires_at = now() + make_interval(secs => $5::float8 / 1000)
       WHERE id = $1 AND dispatch_generation = $2 AND dispatch_stage = $3 AND ${ACTIVE}
         AND (lease_owner IS NULL OR lease_owner = $4 OR lease_expires_at < now())`,
      [dispatch.taskId, dispatch.generation, dispatch.stage, owner, ttlMs],
    );
    if (claimed) return { kind: 'claimed' };
    const row = await this.read(dispatch.taskId);
    if (!row) return { kind: 'missing' };
    if (row.status !== 'queued' && row.status !== 'running') return { kind: 'ended' };
    if (row.generation !== dispatch.generation || row.stage !== dispatch.stage) {
      return { kind: 'stale', current: { taskId: dispatch.taskId, generation: row.generation, stage: row.stage as WorkStage } };
    }
    return { kind: 'held', leftMs: Math.max(0, Math.ceil(row.lease_left_ms ?? 0)) };
  }

  /** Extends the lease; false when it is no longer this owner's (another delivery took over, or a re-dispatch). */
  async renew(lease: Lease, ttlMs: number): Promise<boolean> {
    return this.update(
      `SET lease_expires_at = now() + make_interval(secs => $3::float8 / 1000) WHERE id = $1 AND lease_owner = $2 AND dispatch_generation = $4`,
      [lease.taskId, lease.owner, ttlMs, lease.generation],
    );
  }

  async release(lease: Lease): Promise<void> {
    await this.update(`SET lease_owner = NULL, lease_expires_at = NULL WHERE id = $1 AND lease_owner = $2`, [lease.taskId, lease.owner]);
  }

  /**
   * The stage is done: the next stage becomes the dispatch (same generation, to be published) and the
   * lease ends. False when the lease was lost: a newer owner or dispatch decides what comes next.
   */
  async advance(lease: Lease, next: WorkStage): Promise<boolean> {
    return this.update(
      `SET dispatch_stage = $4, dispatch_recorded_at = now(), dispatch_published_at = NULL, lease_owner = NULL, lease_expires_at = NULL
       WHERE id = $1 AND dispatch_generation = $2 AND dispatch_stage = $3 AND lease_owner = $5 AND ${ACTIVE}`,
      [lease.taskId, lease.generation, lease.stage, next, lease.owner],
    );
  }

  /** The broker stored the dispatch's message. */
  async markPublished(dispatch: Dispatch): Promise<void> {
    await this.update(`SET dispatch_published_at = now() WHERE id = $1 AND dispatch_generation = $2 AND dispatch_stage = $3 AND dispatch_published_at IS NULL`, [
      dispatch.taskId,
      dispatch.generation,
      dispatch.stage,
    ]);
  }

  /**
   * A new generation of the task's current stage, for work that was lost (the in-process queue died with
   * its process): every message of the older generations becomes stale, and a lease of one ends.
   */
  async redispatch(taskId: string): Promise<Dispatch | null> {
    const rows = (await this.ds.query(
      `UPDATE tasks SET dispatch_generation = dispatch_generation + 1, dispatch_recorded_at = now(), dispatch_published_at = NULL,
         lease_owner = NULL, lease_expires_at = NULL
       WHERE id = $1 AND ${ACTIVE} RETURNING dispatch_generation AS generation, dispatch_stage AS stage`,
      [taskId],
    )) as [Array<{ generation: number; stage: WorkStage }>, number];
    const row = rows[0]?.[0];
    return row ? { taskId, generation: row.generation, stage: row.stage } : null;
  }

  /** Dispatches recorded before `before` and not yet published, oldest first. */
  async findUnpublished(before: Date, limit = 100): Promise<Dispatch[]> {
    const rows = (await this.ds.query(
      `SELECT id, dispatch_generation AS generation, dispatch_stage AS stage FROM tasks
       WHERE dispatch_published_at IS NULL AND ${ACTIVE} AND dispatch_recorded_at < $1 ORDER BY dispatch_recorded_at LIMIT $2`,
      [before, limit],
    )) as Array<{ id: string; generation: number; stage: WorkStage }>;
    return rows.map((r) => ({ taskId: r.id, generation: r.generation, stage: r.stage }));
  }

  /** The current dispatch of an active task, or null. */
  async current(taskId: string): Promise<Dispatch | null> {
    const row = await this.read(taskId);
    if (!row || (row.status !== 'queued' && row.status !== 'running')) return null;
    return { taskId, generation: row.generation, stage: row.stage as WorkStage };
  }

  private async read(taskId: string): Promise<DispatchRow | null> {
    const rows = (await this.ds.query(
      `SELECT status, dispatch_generation AS generation, dispatch_stage AS stage, lease_owner,
         extract(epoch FROM lease_expires_at - now()) * 1000 AS lease_left_ms FROM tasks WHERE id = $1`,
      [taskId],
    )) as DispatchRow[];
    return rows[0] ? { ...rows[0], lease_left_ms: rows[0].lease_left_ms === null ? null : Number(rows[0].lease_left_ms) } : null;
  }

  private async update(sql: string, params: unknown[]): Promise<boolean> {
    const [, affected] = (await this.ds.query(`UPDATE tasks ${sql}`, params)) as [unknown, number];
    return affected > 0;
  }
}
