import { ProgressUpdate, ReduceOutcome, initialTaskState, reduceProgress } from './progress.reducer';
import { STAGES, STAGE_BANDS, Stage, TERMINAL_STATUSES } from './stages';
import { TaskEvent, TaskEventSchema, TaskResult, TaskSnapshot, TaskSnapshotSchema } from './task.schemas';

const T0 = Date.parse('2025-01-01T00:00:00.000Z');
const at = (ms: number): Date => new Date(T0 + ms);
const RESULT: TaskResult = {
  caseCount: 3,
  foundationCaseCount: 2,
  aiCaseCount: 1,
  artifact: { url: '/v1/tasks/t1/artifact', bytes: 10, sha256: 'abc' },
};
const fresh = (): TaskSnapshot => initialTaskState({ taskId: 't1', name: 'petstore', tenant: 'acme', createdAt: at(0) });

function accept(state: TaskSnapshot, update: ProgressUpdate, now: Date): { state: TaskSnapshot; event: TaskEvent } {
  const out = reduceProgress(state, update, now);
  if (!out.ok) throw new Error(`refused: ${out.reason} ${out.detail}`);
  return out;
}

/** Applies updates one second apart, every one expected to be accepted. */
function run(updates: ProgressUpdate[], start = fresh()): { state: TaskSnapshot; events: TaskEvent[] } {
  let state = start;
  const events: TaskEvent[] = [];
  updates.forEach((u, i) => {
    const out = accept(state, u, at((i + 1) * 1000));
    state = out.state;
    events.push(out.event);
  });
  return { state, events };
}

const refusal = (out: ReduceOutcome): string | null => (out.ok ? null : out.reason);
const up = (stage: Stage, stageProgress: number, extra: Partial<ProgressUpdate> = {}): ProgressUpdate => ({
  stage,
  stageProgress,
  messageKey: 'parsing.started',
  ...extra,
});

describe('reduceProgress: seq', () => {
  it('starts at 1 and grows by exactly one per accepted event', () => {
    const { events, state } = run([
      { messageKey: 'task.queued', messageParams: { position: 1 } },
      up('parsing', 0),
      up('parsing', 0.5),
      up('foundation', 0),
    ]);
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3, 4]);
    expect(state.seq).toBe(4);
  });

  it('does not consume a seq on a refused update', () => {
    const { state } = run([up('enhancing', 0)]);
    expect(refusal(reduceProgress(state, up('parsing', 0), at(5000)))).toBe('stage_order');
    expect(accept(state, up('enhancing', 0.5), at(6000)).event.seq).toBe(2);
  });
});

describe('reduceProgress: progress', () => {
  it.each(STAGES.map((s) => [s, STAGE_BANDS[s]] as const))('maps %s into its band %j', (stage, [lo, hi]) => {
    expect(accept(fresh(), up(stage, 0), at(1)).event.progress).toBe(lo);
    expect(accept(fresh(), up(stage, 0.5), at(1)).event.progress).toBe((lo + hi) / 2);
    expect(accept(fresh(), up(stage, 1), at(1)).event.progress).toBe(hi);
  });

  it('clamps stageProgress outside 0..1 to the band', () => {
    expect(accept(fresh(), up('enhancing', -3), at(1)).event).toMatchObject({ progress: 40, stageProgress: 0 });
    expect(accept(fresh(), up('enhancing', 7), at(1)).event).toMatchObject({ progress: 80, stageProgress: 1 });
  });

  it('treats a non-finite stageProgress as 0 and still emits a valid event', () => {
    const { event } = accept(fresh(), up('foundation', Number.NaN), at(1));
    expect(event.progress).toBe(30);
    expect(event.stageProgress).toBe(0);
    expect(TaskEventSchema.safeParse(event).success).toBe(true);
    const eta = accept(fresh(), up('foundation', 0.5, { etaMs: Number.NaN }), at(1)).event;
    expect(TaskEventSchema.safeParse(eta).success).toBe(true);
  });

  it('never goes down when a stage reports a lower stageProgress', () => {
    const { events } = run([up('parsing', 0.8), up('parsing', 0.2), up('parsing', 0.5)]);
    expect(events.map((e) => e.progress)).toEqual([24, 24, 24]);
  });

  it('never goes down across stages and stays in the current band', () => {
    const { events } = run([up('parsing', 1), up('foundation', 0), up('foundation', 0.5), up('enhancing', 0.25), up('packaging', 0)]);
    expect(events.map((e) => e.progress)).toEqual([30, 30, 35, 50, 80]);
  });

  it('keeps progress on a task-level update without a stage', () => {
    const { events } = run([up('enhancing', 0.5), { messageKey: 'enhancing.tokens', tokens: { prompt: 1, completion: 2, total: 3, perSecond: 1 } }]);
    expect(events[1]).toMatchObject({ progress: 60, stage: 'enhancing', stageProgress: 0.5 });
    expect(events[1].tokens.total).toBe(3);
  });
});

describe('reduceProgress: stages', () => {
  it('refuses a report for an earlier stage with stage_order and leaves the state alone', () => {
    const { state } = run([up('parsing', 1), up('enhancing', 0.1)]);
    const out = reduceProgress(state, up('foundation', 0.5), at(9000));
    expect(refusal(out)).toBe('stage_order');
  });

  it('refuses a report for a stage that is already done or skipped', () => {
    const done = run([up('parsing', 0.5, { stageStatus: 'done' })]).state;
    expect(refusal(reduceProgress(done, up('parsing', 0.9), at(9000)))).toBe('stage_order');
    const skipped = run([up('enhancing', 0, { stageStatus: 'skipped', messageKey: 'enhancing.skipped' })]).state;
    expect(refusal(reduceProgress(skipped, up('enhancing', 0.1), at(9000)))).toBe('stage_order');
  });

  it('jumps the band of a skipped stage', () => {
    const { state, events } = run([
      up('foundation', 1),
      up('enhancing', 0, { stageStatus: 'skipped', messageKey: 'enhancing.skipped', messageParams: { reason: 'no provider' } }),
    ]);
    const e = events[1];
    expect(e).toMatchObject({ stage: 'enhancing', progress: 80, stageProgress: 1, message: 'AI enhancement skipped: no provider' });
    expect(state.stages[2]).toMatchObject({ name: 'enhancing', status: 'skipped', durationMs: 0 });
    expect(state.stages[2].finishedAt).toBe(at(2000).toISOString());
  });

  it('entering a later stage closes a running one as done (with duration) and a pending one as skipped', () => {
    let s = accept(fresh(), up('parsing', 0.1), at(100)).state;
    s = accept(s, up('foundation', 0), at(350)).state;
    expect(s.stages[0]).toMatchObject({ status: 'done', startedAt: at(100).toISOString(), finishedAt: at(350).toISOString(), durationMs: 250 });
    expect(s.stages[1]).toMatchObject({ status: 'running', startedAt: at(350).toISOString(), finishedAt: null, durationMs: null });
    s = accept(s, up('packaging', 0), at(1350)).state;
    expect(s.stages.map((x) => x.status)).toEqual(['done', 'done', 'skipped', 'running']);
    expect(s.stages[1].durationMs).toBe(1000);
    expect(s.stages[2]).toMatchObject({ durationMs: 0, finishedAt: at(1350).toISOString() });
  });

  it('a stage reporting done counts as full', () => {
    const { events, state } = run([up('parsing', 0.2), up('parsing', 0.3, { stageStatus: 'done', messageKey: 'parsing.done' })]);
    expect(events[1]).toMatchObject({ progress: 30, stageProgress: 1 });
    expect(state.stages[0]).toMatchObject({ status: 'done', durationMs: 1000 });
  });
});

describe('reduceProgress: terminal events', () => {
  const running = (): TaskSnapshot => run([up('parsing', 1), up('enhancing', 0.5)]).state;

  it('completed has progress 100 and the result; running stage done, pending ones skipped', () => {
    const { state, event } = accept(running(), { type: 'completed', result: RESULT, messageKey: 'task.completed', messageParams: { caseCount: 3 } }, at(10000));
    expect(event).toMatchObject({ type: 'completed', status: 'completed', progress: 100, result: RESULT, etaMs: 0, message: 'Done: 3 test cases ready to download' });
    expect(event.error).toBeUndefined();
    expect(state).toMatchObject({ status: 'completed', progress: 100, result: RESULT, finishedAt: at(10000).toISOString() });
    expect(state.stages.map((s) => s.status)).toEqual(['done', 'skipped', 'done', 'skipped']);
  });

  it('completed without a result is refused', () => {
    expect(refusal(reduceProgress(running(), { type: 'completed', messageKey: 'task.completed' }, at(1)))).toBe('invalid_update');
  });

  it('failed needs an error and carries it; the running stage fails', () => {
    expect(refusal(reduceProgress(running(), { type: 'failed', messageKey: 'task.failed' }, at(1)))).toBe('invalid_update');
    const error = { code: 'invalid_spec' as const, message: 'bad yaml' };
    const { state, event } = accept(running(), { type: 'failed', error, messageKey: 'task.failed', messageParams: { reason: 'bad yaml' } }, at(10000));
    expect(event).toMatchObject({ type: 'failed', status: 'failed', error, progress: 60, etaMs: 0 });
    expect(event.result).toBeUndefined();
    expect(state.error).toEqual(error);
    expect(state.stages[2]).toMatchObject({ status: 'failed', durationMs: 8000 });
    expect(state.stages[3].status).toBe('pending');
  });

  it('cancelled carries neither result nor error', () => {
    const { state, event } = accept(running(), { type: 'cancelled', messageKey: 'task.cancelled' }, at(10000));
    expect(event).toMatchObject({ type: 'cancelled', status: 'cancelled', progress: 60, etaMs: 0 });
    expect(event.result).toBeUndefined();
    expect(event.error).toBeUndefined();
    expect(state.stages[2].status).toBe('skipped');
  });

  it.each(TERMINAL_STATUSES)('after %s every update is refused with task_ended', (type) => {
    const ended = accept(
      running(),
      { type, messageKey: 'task.completed', result: RESULT, error: { code: 'internal', message: 'x' } },
      at(10000),
    ).state;
    const tries: ProgressUpdate[] = [
      up('packaging', 0.5),
      { messageKey: 'task.queued' },
      { type: 'completed', result: RESULT, messageKey: 'task.completed' },
      { type: 'failed', error: { code: 'timeout', message: 't' }, messageKey: 'task.failed' },
      { type: 'cancelled', messageKey: 'task.cancelled' },
    ];
    for (const u of tries) expect(refusal(reduceProgress(ended, u, at(11000)))).toBe('task_ended');
  });

  it('a queued task can be cancelled before it starts', () => {
    const { state, event } = accept(fresh(), { type: 'cancelled', messageKey: 'task.cancelled' }, at(500));
    expect(event).toMatchObject({ seq: 1, status: 'cancelled', stage: null, progress: 0 });
    expect(state.startedAt).toBeNull();
    expect(state.stages.every((s) => s.status === 'pending')).toBe(true);
  });
});

describe('reduceProgress: status, message, warnings, eta', () => {
  it('moves queued -> running -> terminal', () => {
    const { events, state } = run([
      { messageKey: 'task.queued', messageParams: { position: 2 } },
      up('parsing', 0),
      { type: 'completed', result: RESULT, messageKey: 'task.completed' },
    ]);
    expect(events.map((e) => e.status)).toEqual(['queued', 'running', 'completed']);
    expect(state.startedAt).toBe(at(2000).toISOString());
  });

  it('renders message from messageKey and messageParams', () => {
    const { event } = accept(
      fresh(),
      up('enhancing', 0.1, { messageKey: 'enhancing.calling', messageParams: { method: 'POST', path: '/pets' } }),
      at(1),
    );
    expect(event).toMatchObject({ message: 'Calling AI for enhancement of POST /pets...', messageKey: 'enhancing.calling', messageParams: { method: 'POST', path: '/pets' } });
  });

  it('accumulates warnings in order', () => {
    const { state } = run([
      up('enhancing', 0.1, { warnings: ['first'] }),
      up('enhancing', 0.2),
      up('enhancing', 0.3, { warnings: ['second', 'third'] }),
    ]);
    expect(state.warnings).toEqual(['first', 'second', 'third']);
  });

  it('etaMs is null early, projected later, from the stage when given, and 0 at the end', () => {
    let s = accept(fresh(), up('parsing', 0), at(0)).state;
    expect(s.etaMs).toBeNull();
    s = accept(s, up('parsing', 0.1), at(100)).state; // 3%: too little to say anything
    expect(s.etaMs).toBeNull();
    s = accept(s, up('foundation', 0), at(3000)).state; // 30% in 3 s -> 7 s left
    expect(s.etaMs).toBe(7000);
    s = accept(s, up('foundation', 0.5, { etaMs: 1234.4 }), at(3500)).state;
    expect(s.etaMs).toBe(1234);
    s = accept(s, { type: 'completed', result: RESULT, messageKey: 'task.completed' }, at(4000)).state;
    expect(s.etaMs).toBe(0);
    expect(s.elapsedMs).toBe(4000);
  });

  it('every event and state fits the wire schemas', () => {
    let state = fresh();
    for (const [i, u] of [up('parsing', 0.3), up('enhancing', 0.5), { type: 'completed' as const, result: RESULT, messageKey: 'task.completed' as const }].entries()) {
      const out = accept(state, u, at(i * 777));
      state = out.state;
      expect(TaskEventSchema.parse(out.event)).toEqual(out.event);
      expect(TaskSnapshotSchema.parse(out.state)).toEqual(out.state);
    }
  });
});
