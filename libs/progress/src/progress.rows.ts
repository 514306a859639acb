import { TaskEvent, TaskSnapshot } from '@spectest/contracts';
import { TaskEntity, snapshotToTaskColumns, taskRowToSnapshot } from '@spectest/persistence';
import { EntityManager } from 'typeorm';
import type { LockedTask } from './progress.batch';

/**
 * Locks the task rows with FOR NO KEY UPDATE in id order. Every writer process locks in the same order,
 * so two batches sharing tasks wait for each other instead of deadlocking. Not FOR UPDATE: that also
 * waits for the key-share locks a stage's long insert of rows referencing the task holds (75,000 cases
 * stored in one transaction kept every progress event of the task waiting for seconds). Raw SQL, mapped through
 * the entity's metadata: TypeORM's query builder cost a third of this step for a few hundred rows.
 */
export async function lockTasks(m: EntityManager, ids: readonly string[]): Promise<Map<string, LockedTask>> {
  if (ids.length === 0) return new Map();
  const columns = m.connection.getMetadata(TaskEntity).columns;
  const rows: Record<string, unknown>[] = await m.query(
    'SELECT *, coalesce(lease_expires_at > now(), false) AS lease_live FROM tasks WHERE id = ANY($1::uuid[]) ORDER BY id FOR NO KEY UPDATE',
    [ids],
  );
  return new Map(
    rows.map((row) => {
      const entity: Record<string, unknown> = {};
      for (const c of columns) entity[c.propertyName] = row[c.databaseName];
      const task = entity as unknown as TaskEntity;
      const dispatch = { generation: task.dispatchGeneration, stage: task.dispatchStage, leaseOwner: task.leaseOwner, leaseLive: row.lease_live === true };
      return [row.id as string, { snapshot: taskRowToSnapshot(task), dispatch }];
    }),
  );
}

/** All the batch's events in one statement: one parameter, a JSON array of rows. */
export async function insertEvents(m: EntityManager, events: readonly TaskEvent[]): Promise<void> {
  if (events.length === 0) return;
  const rows = events.map((e) => ({ task_id: e.taskId, seq: e.seq, type: e.type, payload: e, created_at: e.timestamp }));
  await m.query(
    `INSERT INTO task_events (task_id, seq, type, payload, created_at)
     SELECT v.task_id, v.seq, v.type, v.payload, v.created_at
     FROM jsonb_to_recordset($1::jsonb) AS v(task_id uuid, seq int, type text, payload jsonb, created_at timestamptz)`,
    [JSON.stringify(rows)],
  );
}

/**
 * The snapshot columns of every task in one UPDATE ... FROM jsonb_to_recordset. The column list and
 * types come from the entity's metadata and the mapper, so a new snapshot column needs no change here.
 */
export async function updateSnapshots(m: EntityManager, snapshots: readonly TaskSnapshot[]): Promise<void> {
  if (snapshots.length === 0) return;
  const meta = m.connection.getMetadata(TaskEntity);
  const columns = Object.keys(snapshotToTaskColumns(snapshots[0])).map((property) => {
    const column = meta.findColumnWithPropertyName(property);
    if (!column) throw new Error(`tasks has no column for snapshot property ${property}`);
    return { property, name: column.databaseName, type: String(column.type) };
  });
  const rows = snapshots.map((s) => {
    const values = snapshotToTaskColumns(s) as Record<string, unknown>;
    const row: Record<string, unknown> = { id: s.taskId };
    for (const c of columns) row[c.name] = values[c.property] ?? null;
    return row;
  });
  const q = (name: string) => `"${name}"`;
  await m.query(
    `UPDATE tasks AS t SET ${columns.map((c) => `${q(c.name)} = v.${q(c.name)}`).join(', ')}
     FROM jsonb_to_recordset($1::jsonb) AS v(id uuid, ${columns.map((c) => `${q(c.name)} ${c.type}`).join(', ')})
     WHERE t.id = v.id`,
    [JSON.stringify(rows)],
  );
}
