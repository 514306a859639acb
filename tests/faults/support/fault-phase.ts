import { signTestToken } from '@spectest/auth';
import { TaskEvent, TaskSnapshot } from '@spectest/contracts';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Client } from 'pg';
import type { FakeModelServer, RecordedRequest } from '../../support/fake-model-server';
import { brokenEventRules } from '../../e2e/full/event-rules';
import type { RunningCluster, ServiceName } from '../../e2e/full/cluster';
import { WatchedStream, streamBreaks, watchSocket, watchSse } from './watchers';

const PETSTORE = readFileSync(join(__dirname, '..', '..', 'fixtures', 'petstore.yaml'), 'utf8');
/** Endpoints of the petstore fixture: each task makes this many model calls when nothing goes wrong. */
export const ENDPOINTS_PER_TASK = 3;
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
/** How long a model request may take to reach the fake server once sent (loopback, a busy machine). */
const IN_TRANSIT_MS = 250;

export interface FaultWindow {
  /** When the fault began and when the system had what it needs again (restarted, back up). */
  startedAt: number;
  endedAt: number;
}

export interface PhaseFigures {
  phase: string;
  tasks: number;
  completed: number;
  /** From the fault's end until every task active at the fault showed progress again. */
  recoveryMs: number;
  modelCalls: number;
  endpoints: number;
  extraModelCalls: number;
  callsInFlightAtFault: number;
  tokensCharged: number;
  tokensUsed: number;
  watchers: number;
  watcherReconnects: number;
  durationMs: number;
}

export interface PhaseOutcome {
  figures: PhaseFigures;
  /** Every broken promise: tasks not completed, event-rule breaks, stream gaps, model calls and tokens off. */
  problems: string[];
}

export interface PhaseContext {
  cluster: RunningCluster;
  model: FakeModelServer;
  databaseUrl: string;
  /** Where clients may reach each service now (a killed replica drops out). */
  urls(name: ServiceName): string[];
}

export interface PhasePlan {
  phase: string;
  tasks?: number;
  watchers?: number;
  /** Waits for the moment to strike (default: a few model calls in flight). */
  when?: (ctx: PhaseContext, taskIds: string[]) => Promise<void>;
  fault: (ctx: PhaseContext) => Promise<FaultWindow>;
  timeoutMs?: number;
}

/** A petstore whose paths name the task, so the model server's log says which task each call was for. */
function specFor(tag: string): string {
  return PETSTORE.replace(/^ {2}\/pets/gm, `  /${tag}/pets`);
}

const operationTag = (r: RecordedRequest): string | null => r.operation;

/** Waits until at least `n` model calls are streaming. */
export async function modelCallsInFlight(ctx: PhaseContext, n: number, timeoutMs = 60_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (ctx.model.requests.filter((r) => r.endedAt === null).length < n) {
    if (Date.now() > deadline) throw new Error(`fewer than ${n} model calls in flight after ${timeoutMs} ms`);
    await pause(20);
  }
}

/** Resilient client calls: a refused connection or a 503 is retried, as a client following Retry-After would. */
async function call(urls: () => string[], path: string, init: RequestInit, timeoutMs = 120_000): Promise<Response> {
  const deadline = Date.now() + timeoutMs;
  for (let attempt = 0; ; attempt++) {
    const list = urls();
    try {
      const res = await fetch(`${list[attempt % list.length]}${path}`, init);
      if (res.status !== 503) return res;
      await res.body?.cancel();
    } catch {
      /* refused or reset: try again */
    }
    if (Date.now() > deadline) throw new Error(`${path}: no answer in ${timeoutMs} ms`);
    await pause(300);
  }
}

/**
 * One fault phase: submit tasks of a tenant of its own, watch some over SSE and Socket.IO, strike, wait
 * for every task to end, then check every promise against the stored log, the streams, the model
 * server's log and the tenant's charge.
 */
export async function runPhase(ctx: PhaseContext, plan: PhasePlan): Promise<PhaseOutcome> {
  const started = Date.now();
  const tenant = `faults-${plan.phase.replace(/[^a-z0-9]+/gi, '-')}-${started.toString(36)}`;
  const token = await signTestToken(ctx.cluster.secret, { sub: tenant, tenant });
  const auth = { authorization: `Bearer ${token}` };
  const intake = () => ctx.urls('intake');
  const count = plan.tasks ?? 20;
  const firstCall = ctx.model.requests.length;

  const taskIds: string[] = [];
  for (let i = 0; i < count; i++) {
    const res = await call(intake, '/v1/tasks', {
      method: 'POST',
      headers: { ...auth, 'content-type': 'application/json', 'idempotency-key': `${tenant}-${i}` },
      body: JSON.stringify({ spec: specFor(`${tenant}-t${i}`), name: `t${i}`, options: { ai: { provider: 'ollama' } } }),
    });
    if (res.status !== 202) throw new Error(`submit ${i}: ${res.status} ${await res.text()}`);
    taskIds.push(((await res.json()) as { taskId: string }).taskId);
  }
  const watcherCount = Math.min(count, plan.watchers ?? 8);
  const streams: WatchedStream[] = taskIds
    .slice(0, watcherCount)
    .map((id, i) => (i % 2 === 0 ? watchSse(intake, id, token) : watchSocket(() => ctx.urls('gateway'), id, token)));

  await (plan.when ?? ((c) => modelCallsInFlight(c, 3)))(ctx, taskIds);
  const window = await plan.fault(ctx);

  const deadline = Date.now() + (plan.timeoutMs ?? 180_000);
  const snapshots = new Map<string, TaskSnapshot>();
  for (const taskId of taskIds) {
    for (;;) {
      const res = await call(intake, `/v1/tasks/${taskId}`, { headers: auth }).catch(() => null);
      const snap = res && res.status === 200 ? ((await res.json()) as TaskSnapshot) : null;
      if (snap && ['completed', 'failed', 'cancelled'].includes(snap.status)) {
        snapshots.set(taskId, snap);
        break;
      }
      if (Date.now() > deadline) break;
      await pause(250);
    }
  }
  await Promise.race([Promise.all(streams.map((s) => s.done)), pause(30_000)]);
  streams.forEach((s) => s.stop());

  const problems: string[] = [];
  const db = new Client({ connectionString: ctx.databaseUrl });
  await db.connect();
  let tokensCharged = 0;
  /** When each endpoint's result was stored (the enhancer's checkpoint), by "METHOD /path". */
  const checkpointedAt = new Map<string, number>();
  const logs = new Map<string, TaskEvent[]>();
  try {
    for (const taskId of taskIds) {
      const { rows } = await db.query<{ payload: TaskEvent }>('SELECT payload FROM task_events WHERE task_id = $1 ORDER BY seq', [taskId]);
      logs.set(taskId, rows.map((r) => r.payload));
    }
    const { rows } = await db.query<{ tokens: string }>('SELECT tokens FROM tenant_token_usage WHERE tenant = $1', [tenant]);
    tokensCharged = Number(rows[0]?.tokens ?? 0);
    const stored = await db.query<{ endpoint: string; at: Date }>(
      'SELECT e.endpoint, e.created_at AS at FROM task_ai_endpoints e JOIN tasks t ON t.id = e.task_id WHERE t.tenant = $1',
      [tenant],
    );
    for (const r of stored.rows) checkpointedAt.set(r.endpoint, r.at.getTime());
  } finally {
    await db.end();
  }

  for (const taskId of taskIds) {
    const snap = snapshots.get(taskId);
    if (snap?.status !== 'completed') problems.push(`task ${taskId} ended ${snap?.status ?? 'not at all'}${snap?.error ? `: ${snap.error.code} ${snap.error.message}` : ''}`);
    for (const rule of brokenEventRules(logs.get(taskId) ?? [])) problems.push(`log of ${taskId}: ${rule}`);
  }
  for (const stream of streams) {
    problems.push(...streamBreaks(stream));
    const log = logs.get(stream.taskId) ?? [];
    if (JSON.stringify(stream.events.map((e) => e.seq)) !== JSON.stringify(log.map((e) => e.seq))) {
      problems.push(`${stream.channel} ${stream.taskId}: saw seqs ${stream.events.map((e) => e.seq).join(',')} of ${log.length}`);
    }
  }

  // Model calls: one per endpoint, plus at most one more for each endpoint in flight at the fault: its
  // call had begun and its result was not stored yet (a call may have ended while its answer was parsed).
  const calls = ctx.model.requests.slice(firstCall).filter((r) => operationTag(r)?.includes(`/${tenant}-t`));
  const perOperation = new Map<string, number>();
  for (const r of calls) perOperation.set(r.operation!, (perOperation.get(r.operation!) ?? 0) + 1);
  // The model server notes a call when its request has arrived: one sent just before the kill arrives a
  // few milliseconds after the fault began.
  const begunBy = window.startedAt + IN_TRANSIT_MS;
  const inFlightOps = new Set(
    calls.filter((r) => r.startedAt < begunBy && !((checkpointedAt.get(r.operation!) ?? Infinity) < window.startedAt)).map((r) => r.operation),
  );
  for (const [op, n] of perOperation) {
    if (n > 2 || (n === 2 && !inFlightOps.has(op))) {
      const times = calls.filter((r) => r.operation === op).map((r) => `${r.startedAt - window.startedAt}..${r.endedAt === null ? '?' : r.endedAt - window.startedAt} ms`);
      const stored = checkpointedAt.has(op) ? `${checkpointedAt.get(op)! - window.startedAt} ms` : 'never';
      problems.push(`${op} was called ${n} times (${times.join(', ')} from the fault; stored at ${stored}), though not in flight at the fault`);
    }
  }
  const endpoints = count * ENDPOINTS_PER_TASK;
  if (perOperation.size !== endpoints) problems.push(`${perOperation.size} endpoints called, expected ${endpoints}`);
  const tokensUsed = [...snapshots.values()].reduce((n, s) => n + s.tokens.total, 0);
  if (tokensCharged !== tokensUsed) problems.push(`tenant charged ${tokensCharged} tokens, the tasks used ${tokensUsed}`);

  // Recovery: from the fault's end until each task active at the fault showed a new event.
  let recoveryMs = 0;
  for (const taskId of taskIds) {
    const log = logs.get(taskId) ?? [];
    const before = log.filter((e) => Date.parse(e.timestamp) < window.startedAt);
    if (!before.length || before.at(-1)!.type !== 'progress') continue;
    const next = log.find((e) => Date.parse(e.timestamp) >= window.endedAt);
    if (next) recoveryMs = Math.max(recoveryMs, Date.parse(next.timestamp) - window.endedAt);
  }

  return {
    figures: {
      phase: plan.phase,
      tasks: count,
      completed: [...snapshots.values()].filter((s) => s.status === 'completed').length,
      recoveryMs,
      modelCalls: calls.length,
      endpoints,
      extraModelCalls: calls.length - endpoints,
      callsInFlightAtFault: inFlightOps.size,
      tokensCharged,
      tokensUsed,
      watchers: streams.length,
      watcherReconnects: streams.reduce((n, s) => n + s.reconnects, 0),
      durationMs: Date.now() - started,
    },
    problems,
  };
}
