import { initialTaskState } from '@spectest/contracts';
import { createHash, randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
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
  await ds.getRepository(TaskEntity).insert({
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
  } as QueryDeepPartialEntity<TaskEntity>);
  return { taskId, specId, content };
}
