import type { StageInfo, TaskError, TaskResult, TaskSnapshot, Tokens } from '@spectest/contracts';
import { TaskEntity } from './entities/task.entity';

const iso = (d: Date | null): string | null => (d ? d.toISOString() : null);

/** Row -> public snapshot. bigint columns arrive as strings from pg. */
export function taskRowToSnapshot(row: TaskEntity): TaskSnapshot {
  return {
    taskId: row.id,
    name: row.name,
    tenant: row.tenant,
    status: row.status as TaskSnapshot['status'],
    stage: (row.stage as TaskSnapshot['stage']) ?? null,
    progress: Number(row.progress),
    message: row.message,
    messageKey: row.messageKey,
    messageParams: row.messageParams ?? {},
    seq: row.seq,
    createdAt: row.createdAt.toISOString(),
    startedAt: iso(row.startedAt),
    finishedAt: iso(row.finishedAt),
    endpointCount: row.endpointCount,
    currentEndpoint: row.currentEndpoint,
    stages: row.stages as StageInfo[],
    tokens: row.tokens as Tokens,
    etaMs: row.etaMs === null ? null : Number(row.etaMs),
    elapsedMs: Number(row.elapsedMs),
    result: (row.result as TaskResult | null) ?? null,
    error: (row.error as TaskError | null) ?? null,
    warnings: row.warnings ?? [],
  };
}

/** The snapshot columns the progress writer updates after each event. */
export function snapshotToTaskColumns(s: TaskSnapshot): Partial<TaskEntity> {
  return {
    status: s.status,
    stage: s.stage,
    progress: s.progress,
    message: s.message,
    messageKey: s.messageKey,
    messageParams: s.messageParams,
    seq: s.seq,
    startedAt: s.startedAt ? new Date(s.startedAt) : null,
    finishedAt: s.finishedAt ? new Date(s.finishedAt) : null,
    endpointCount: s.endpointCount,
    currentEndpoint: s.currentEndpoint,
    stages: s.stages,
    tokens: s.tokens,
    etaMs: s.etaMs === null ? null : String(s.etaMs),
    elapsedMs: String(s.elapsedMs),
    result: s.result,
    error: s.error,
    warnings: s.warnings,
  };
}
