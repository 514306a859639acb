import { ProgressUpdate, initialTaskState, reduceProgress } from './progress.reducer';
import { MESSAGE_CATALOGUE, MessageKey } from './messages';
import { STAGES, STAGE_BANDS, Stage, TERMINAL_STATUSES, isTerminalEvent, isTerminalStatus, stageIndex } from './stages';
import { EventType, TaskEventSchema, TaskSnapshot, TaskSnapshotSchema } from './task.schemas';

/** mulberry32: small, seeded, good enough to shuffle test inputs reproducibly. */
function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const KEYS = Object.keys(MESSAGE_CATALOGUE) as MessageKey[];
const RESULT = { caseCount: 1, foundationCaseCount: 1, aiCaseCount: 0, artifact: { url: 'u', bytes: 1, sha256: 's' } };

function randomUpdate(rnd: () => number): ProgressUpdate {
  const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rnd() * xs.length)];
  const r = rnd();
  // Mostly progress; terminal types are rare so sequences get far before they end. Some lack result/error on purpose.
  const type: EventType = r < 0.9 ? 'progress' : pick(TERMINAL_STATUSES);
  const u: ProgressUpdate = { type, messageKey: pick(KEYS), messageParams: { method: 'GET', path: '/x', count: Math.floor(rnd() * 9) } };
  if (rnd() < 0.8) u.stage = pick(STAGES);
  if (rnd() < 0.3) u.stageStatus = pick(['running', 'done', 'skipped', 'failed'] as const);
  if (rnd() < 0.9) u.stageProgress = rnd() < 0.05 ? Number.NaN : rnd() * 1.4 - 0.2;
  if (rnd() < 0.2) u.warnings = [`w${Math.floor(rnd() * 100)}`];
  if (rnd() < 0.2) u.etaMs = rnd() < 0.5 ? null : rnd() * 10000;
  if (type === 'completed' && rnd() < 0.9) u.result = RESULT;
  if (type === 'failed' && rnd() < 0.9) u.error = { code: 'internal', message: 'boom' };
  return u;
}

function checkStep(prev: TaskSnapshot, next: TaskSnapshot, ev: ReturnType<typeof TaskEventSchema.parse>): void {
  expect(TaskEventSchema.safeParse(ev).success).toBe(true);
  expect(TaskSnapshotSchema.safeParse(next).success).toBe(true);
  expect(ev.seq).toBe(prev.seq + 1);
  expect(next.seq).toBe(ev.seq);
  expect(ev.progress).toBe(next.progress);
  expect(next.progress).toBeGreaterThanOrEqual(prev.progress);
  expect(next.progress).toBeLessThanOrEqual(100);
  if (next.stage && next.status !== 'completed') {
    const [lo, hi] = STAGE_BANDS[next.stage];
    expect(next.progress).toBeGreaterThanOrEqual(lo);
    expect(next.progress).toBeLessThanOrEqual(hi);
  }
  if (prev.stage) expect(next.stage && stageIndex(next.stage)).toBeGreaterThanOrEqual(stageIndex(prev.stage));
  // Status only moves forward: queued -> running -> terminal (queued -> terminal allowed, never backwards).
  const rank = (s: TaskSnapshot['status']) => (s === 'queued' ? 0 : s === 'running' ? 1 : 2);
  expect(rank(next.status)).toBeGreaterThanOrEqual(rank(prev.status));
  if (isTerminalEvent(ev)) {
    expect(next.status).toBe(ev.type);
    expect(next.etaMs).toBe(0);
    expect(next.finishedAt).not.toBeNull();
  } else {
    expect(isTerminalStatus(next.status)).toBe(false);
  }
  if (ev.type === 'completed') expect([ev.progress, ev.result]).toEqual([100, RESULT]);
  if (ev.type === 'failed') expect(ev.error).toEqual({ code: 'internal', message: 'boom' });
  expect(next.warnings.slice(0, prev.warnings.length)).toEqual(prev.warnings);
  expect(ev.message).not.toBe('');
  // Stages before the current one are closed; stages after it were never started (unless the task completed).
  if (next.stage && next.status !== 'completed') {
    const cur = stageIndex(next.stage);
    next.stages.forEach((s, i) => {
      if (i < cur) expect(['done', 'skipped', 'failed']).toContain(s.status);
      if (i > cur) expect(s.status).toBe('pending');
      if (s.status !== 'pending' && s.status !== 'running') expect(s.durationMs).not.toBeNull();
    });
  }
}

describe('reduceProgress: random sequences keep the invariants', () => {
  it.each(Array.from({ length: 300 }, (_, i) => i + 1))('seed %i', (seed) => {
    const rnd = prng(seed);
    let state = initialTaskState({ taskId: `t${seed}`, name: 'n', tenant: 'x', createdAt: new Date(0) });
    let now = 0;
    let terminals = 0;
    for (let i = 0; i < 40; i++) {
      now += Math.floor(rnd() * 2000);
      const update = randomUpdate(rnd);
      const out = reduceProgress(state, update, new Date(now));
      if (isTerminalStatus(state.status)) {
        expect(out).toMatchObject({ ok: false, reason: 'task_ended' });
        continue;
      }
      if (!out.ok) {
        const s = update.stage as Stage | undefined;
        // Refusals are explained: order, or a terminal event missing its payload.
        if (out.reason === 'stage_order') expect(s).toBeDefined();
        else expect(out.reason).toBe('invalid_update');
        continue;
      }
      checkStep(state, out.state, out.event);
      if (isTerminalEvent(out.event)) terminals++;
      state = out.state;
    }
    expect(terminals).toBeLessThanOrEqual(1);
  });
});
