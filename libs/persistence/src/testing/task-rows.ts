import { initialTaskState } from '@spectest/contracts';
import { createHash, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { SpecEntity } from '../entities/spec.entity';
import { TaskEntity } from '../entities/task.entity';
import { snapshotToTaskColumns } from '../task.mapper';

export interface TaskRowOverrides {
  tenant?: string;
  createdAt?: Date;
  status?: string;
  deadlineAt?: Date;
  seq?: number;
  idempotencyKey?: string;
}

/** For the lib's specs: a spec row and a task row as the progress writer would create them (seq 1, queued unless overridden). */
export async function insertTaskRow(ds: DataSource, over: TaskRowOverrides = {}): Promise<{ taskId: string; specId: string; content: Buffer }> {
  const taskId = randomUUID();
  const specId = randomUUID();
  const createdAt = over.createdAt ?? new Date();
  const tenant = over.tenant ?? 'acme';
  const content = Buffer.from(`spec of ${taskId}`);
  await ds.getRepository(SpecEntity).insert({ id: specId, tenant, sha256: createHash('sha256').update(content).digest('hex'), bytes: content.length, content, createdAt });
  const state = initialTaskState({ taskId, name: 'n', tenant, createdAt });
  const row: Record<string, unknown> = {
    id: taskId,
    tenant,
    name: 'n',
    createdAt,
    deadlineAt: over.deadlineAt ?? new Date(createdAt.getTime() + 600_000),
    options: { formats: ['postman'] },
    specId,
    idempotencyKey: over.idempotencyKey ?? null,
    requestHash: null,
    ...snapshotToTaskColumns({ ...state, seq: over.seq ?? 1 }),
    status: over.status ?? 'queued',
  };
  // Only the columns given, by name: the row also fits the schema of an earlier migration (migration specs).
  const meta = ds.getMetadata(TaskEntity);
  const columns = Object.keys(row).map((property) => meta.findColumnWithPropertyName(property)!);
  const values = columns.map((c) => {
    const v = row[c.propertyName];
    return c.type === 'jsonb' ? JSON.stringify(v) : v;
  });
  await ds.query(
    `INSERT INTO tasks (${columns.map((c) => `"${c.databaseName}"`).join(', ')}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')})`,
    values,
  );
  return { taskId, specId, content };
}
