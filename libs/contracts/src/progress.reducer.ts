import { MessageKey, MessageParams, renderMessage } from './messages';
import { STAGES, Stage, StageStatus, TerminalStatus, isTerminalEvent, isTerminalStatus, progressInBand, stageIndex } from './stages';
import {
  EventType,
  StageInfo,
  TaskError,
  TaskEvent,
  TaskResult,
  TaskSnapshot,
  Tokens,
  ZERO_TOKENS,
} from './task.schemas';

/**
 * What a stage reports. The reducer turns it into the next snapshot and exactly one event,
 * or refuses it. Everything that may change a task goes through here: stages, cancel, timeouts, the reaper.
 */
export interface ProgressUpdate {
  /** `progress` (default) or one of the three terminal types. */
  type?: EventType;
  /** The stage the update is about; omitted for task-level updates (queued, cancel, fail outside a stage). */
  stage?: Stage;
  /** `running` (default with a stage), `done`, `skipped` (jumps the band) or `failed`. */
  stageStatus?: Exclude<StageStatus, 'pending'>;
  /** 0..1 inside the stage; ignored when the stage is done or skipped (they count as 1). */
  stageProgress?: number;
  messageKey: MessageKey;
  messageParams?: MessageParams;
  endpointCount?: number;
  currentEndpoint?: number;
  endpoint?: string | null;
  tokens?: Tokens;
  /** Estimate from the stage itself (it knows its own rate); otherwise the reducer derives one. */
  etaMs?: number | null;
  /** Appended to the snapshot's warnings. */
  warnings?: string[];
  result?: TaskResult;
  error?: TaskError;
}

export type ReduceOutcome =
  | { ok: true; state: TaskSnapshot; event: TaskEvent }
  | { ok: false; reason: 'task_ended' | 'stage_order' | 'invalid_update'; detail: string };

export interface NewTask {
  taskId: string;
  name: string;
  tenant: string;
  createdAt: Date;
}

/** The state of a task before its first event (seq 0). */
export function initialTaskState(t: NewTask): TaskSnapshot {
  return {
    taskId: t.taskId,
    name: t.name,
    tenant: t.tenant,
    status: 'queued',
    stage: null,
    progress: 0,
    message: '',
    messageKey: 'task.queued',
    messageParams: {},
    seq: 0,
    createdAt: t.createdAt.toISOString(),
    startedAt: null,
    finishedAt: null,
    endpointCount: null,
    currentEndpoint: null,
    stages: STAGES.map((name) => ({ name, status: 'pending', startedAt: null, finishedAt: null, durationMs: null })),
    tokens: { ...ZERO_TOKENS },
    etaMs: null,
    elapsedMs: 0,
    result: null,
    error: null,
    warnings: [],
  };
}

const refuse = (reason: 'task_ended' | 'stage_order' | 'invalid_update', detail: string): ReduceOutcome => ({
  ok: false,
  reason,
  detail,
});

/** 0..1; a non-finite report (e.g. 0/0 from a stage with no endpoints) counts as 0, so no NaN reaches the wire. */
const clamp01 = (x: number | undefined): number => (x !== undefined && Number.isFinite(x) ? Math.min(1, Math.max(0, x)) : 0);

function closeStage(info: StageInfo, status: StageStatus, nowIso: string, nowMs: number): StageInfo {
  const startedAt = info.startedAt ?? nowIso;
  return {
    ...info,
    status,
    startedAt,
    finishedAt: nowIso,
    durationMs: Math.max(0, nowMs - Date.parse(startedAt)),
  };
}

/**
 * The pure progress reducer: (state, update, now) -> (next state, event).
 * Rules: seq grows by one; progress never goes down and stays in the stage's band; stages only move forward;
 * a skipped stage jumps its band; exactly one terminal event, after which every update is refused.
 */
export function reduceProgress(state: TaskSnapshot, update: ProgressUpdate, now: Date): ReduceOutcome {
  if (isTerminalStatus(state.status)) return refuse('task_ended', `task ${state.taskId} already ${state.status}`);
  const type: EventType = update.type ?? 'progress';
  const nowIso = now.toISOString();
  const nowMs = now.getTime();

  if (type === 'failed' && !update.error) return refuse('invalid_update', 'a failed event needs an error');
  if (type === 'completed' && !update.result) return refuse('invalid_update', 'a completed event needs a result');

  let stage = state.stage;
  let stages = state.stages.map((s) => ({ ...s }));
  let stageProgress = 0;
  let progress = state.progress;

  if (update.stage) {
    const target = stageIndex(update.stage);
    const current = state.stage ? stageIndex(state.stage) : -1;
    if (target < current) return refuse('stage_order', `stage ${update.stage} comes before ${state.stage}`);
    const targetInfo = stages[target];
    if (targetInfo.status === 'done' || targetInfo.status === 'skipped' || targetInfo.status === 'failed') {
      return refuse('stage_order', `stage ${update.stage} is already ${targetInfo.status}`);
    }
    // Entering a later stage closes the earlier ones: a running one is done, a pending one was skipped.
    for (let i = 0; i < target; i++) {
      if (stages[i].status === 'running') stages[i] = closeStage(stages[i], 'done', nowIso, nowMs);
      else if (stages[i].status === 'pending') stages[i] = closeStage(stages[i], 'skipped', nowIso, nowMs);
    }
    const stageStatus = update.stageStatus ?? 'running';
    if (stageStatus === 'running') {
      stages[target] = { ...targetInfo, status: 'running', startedAt: targetInfo.startedAt ?? nowIso };
      stageProgress = clamp01(update.stageProgress);
    } else {
      stages[target] = closeStage(targetInfo, stageStatus, nowIso, nowMs);
      stageProgress = stageStatus === 'failed' ? clamp01(update.stageProgress) : 1;
    }
    stage = update.stage;
    progress = Math.max(progress, progressInBand(update.stage, stageProgress));
  } else if (state.stage) {
    stageProgress = stageProgressOf(state);
  }

  let status = state.status;
  let finishedAt = state.finishedAt;
  let result = state.result;
  let error = state.error;
  if (!isTerminalEvent({ type })) {
    if (update.stage) status = 'running';
  } else {
    status = type as TerminalStatus;
    finishedAt = nowIso;
    if (type === 'completed') {
      progress = 100;
      result = update.result ?? null;
      stages = stages.map((s) =>
        s.status === 'running' ? closeStage(s, 'done', nowIso, nowMs) : s.status === 'pending' ? closeStage(s, 'skipped', nowIso, nowMs) : s,
      );
    } else {
      if (type === 'failed') error = update.error ?? null;
      const closing: StageStatus = type === 'failed' ? 'failed' : 'skipped';
      stages = stages.map((s) => (s.status === 'running' ? closeStage(s, closing, nowIso, nowMs) : s));
    }
  }

  const startedAt = state.startedAt ?? (status === 'running' ? nowIso : null);
  const elapsedMs = Math.max(0, nowMs - Date.parse(startedAt ?? state.createdAt));
  const tokens = update.tokens ?? state.tokens;
  const etaMs = estimateEta(status, progress, elapsedMs, update.etaMs);
  const messageParams = update.messageParams ?? {};
  const message = renderMessage(update.messageKey, messageParams);

  const next: TaskSnapshot = {
    ...state,
    status,
    stage,
    progress,
    message,
    messageKey: update.messageKey,
    messageParams,
    seq: state.seq + 1,
    startedAt,
    finishedAt,
    endpointCount: update.endpointCount ?? state.endpointCount,
    currentEndpoint: update.currentEndpoint ?? state.currentEndpoint,
    stages,
    tokens,
    etaMs,
    elapsedMs,
    result,
    error,
    warnings: update.warnings?.length ? [...state.warnings, ...update.warnings] : state.warnings,
  };

  const event: TaskEvent = {
    taskId: state.taskId,
    seq: next.seq,
    type,
    status,
    stage,
    stageProgress,
    progress,
    message,
    messageKey: update.messageKey,
    messageParams,
    timestamp: nowIso,
    endpointCount: next.endpointCount,
    currentEndpoint: next.currentEndpoint,
    endpoint: update.endpoint ?? null,
    tokens,
    etaMs,
    elapsedMs,
    ...(type === 'completed' && result ? { result } : {}),
    ...(type === 'failed' && error ? { error } : {}),
  };
  return { ok: true, state: next, event };
}

/** Where the current stage stands, recovered from overall progress and the stage's band. */
function stageProgressOf(state: TaskSnapshot): number {
  if (!state.stage) return 0;
  const info = state.stages[stageIndex(state.stage)];
  if (info.status === 'done' || info.status === 'skipped') return 1;
  const lo = progressInBand(state.stage, 0);
  const hi = progressInBand(state.stage, 1);
  return hi > lo ? Math.min(1, Math.max(0, (state.progress - lo) / (hi - lo))) : 0;
}

/**
 * ETA: the stage's own estimate when it gives one, else a linear projection of the task's pace.
 * Null until there is enough progress to say anything honest; 0 once the task ended.
 */
function estimateEta(status: TaskSnapshot['status'], progress: number, elapsedMs: number, fromStage?: number | null): number | null {
  if (isTerminalStatus(status)) return 0;
  if (fromStage !== undefined && fromStage !== null && Number.isFinite(fromStage)) return Math.max(0, Math.round(fromStage));
  if (status !== 'running' || progress < 5 || elapsedMs < 500) return null;
  return Math.max(0, Math.round((elapsedMs * (100 - progress)) / progress));
}
