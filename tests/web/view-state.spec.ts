// Unit tests of the page's pure layer (services/intake/src/public/view-state.js): the browser
// script is also a CommonJS module (its factory, given the contracts' terminal check as the SDK's
// browser build gives it on the page), so the logic that turns the event stream into what the page
// shows is checked here without a browser.
import * as contracts from '@spectest/contracts';
// eslint-disable-next-line @typescript-eslint/no-require-imports
const VS = require('../../services/intake/src/public/view-state.js')(contracts);

const T0 = Date.parse('2025-01-01T00:00:00.000Z');
const at = (ms: number) => new Date(T0 + ms).toISOString();

function ev(seq: number, over: Record<string, unknown> = {}): any {
  return {
    taskId: 't1',
    seq,
    type: 'progress',
    status: 'running',
    stage: 'parsing',
    stageProgress: 0,
    progress: seq,
    message: `message ${seq}`,
    messageKey: 'parsing.started',
    messageParams: {},
    timestamp: at(seq * 100),
    endpointCount: null,
    currentEndpoint: null,
    endpoint: null,
    tokens: { prompt: 0, completion: 0, total: 0, perSecond: 0 },
    etaMs: null,
    elapsedMs: seq * 100,
    ...over,
  };
}

function snapshot(over: Record<string, unknown> = {}): any {
  return {
    taskId: 't1',
    name: 'petstore',
    tenant: 'dev',
    status: 'running',
    stage: 'foundation',
    progress: 35,
    message: 'Generating foundation cases for GET /pets...',
    messageKey: 'foundation.endpoint',
    messageParams: {},
    seq: 5,
    createdAt: at(0),
    startedAt: at(0),
    finishedAt: null,
    endpointCount: 3,
    currentEndpoint: 1,
    stages: [
      { name: 'parsing', status: 'done', startedAt: at(0), finishedAt: at(12), durationMs: 12 },
      { name: 'foundation', status: 'running', startedAt: at(12), finishedAt: null, durationMs: null },
      { name: 'enhancing', status: 'pending', startedAt: null, finishedAt: null, durationMs: null },
      { name: 'packaging', status: 'pending', startedAt: null, finishedAt: null, durationMs: null },
    ],
    tokens: { prompt: 0, completion: 0, total: 0, perSecond: 0 },
    etaMs: 1200,
    elapsedMs: 800,
    result: null,
    error: null,
    warnings: [],
    ...over,
  };
}

const applyAll = (state: any, events: any[]) => events.reduce((s, e) => VS.applyEvent(s, e), state);
const logSeqs = (state: any) => state.log.map((e: any) => e.seq);

describe('applyEvent: order and dedup by seq', () => {
  it('applies events in order and logs each once', () => {
    const s = applyAll(VS.createViewState('t1'), [ev(1), ev(2), ev(3)]);
    expect(s.seq).toBe(3);
    expect(s.progress).toBe(3);
    expect(s.message).toBe('message 3');
    expect(logSeqs(s)).toEqual([1, 2, 3]);
  });

  it('ignores a duplicate (seq <= last seen) without changing the view or the log', () => {
    const s = applyAll(VS.createViewState('t1'), [ev(1), ev(2)]);
    const again = VS.applyEvent(s, ev(2, { message: 'replayed copy', progress: 99 }));
    expect(again).toBe(s);
    expect(again.message).toBe('message 2');
    expect(logSeqs(again)).toEqual([1, 2]);
  });

  it('an older event arriving late fills the log in order but never moves the view back', () => {
    const s = applyAll(VS.createViewState('t1'), [ev(1), ev(3, { progress: 30, message: 'newest' })]);
    const late = VS.applyEvent(s, ev(2, { progress: 10, message: 'late' }));
    expect(late.seq).toBe(3);
    expect(late.progress).toBe(30);
    expect(late.message).toBe('newest');
    expect(logSeqs(late)).toEqual([1, 2, 3]);
    expect(late.log[1].message).toBe('late');
  });

  it('a reconnect replay overlapping what was seen produces no duplicates', () => {
    const first = applyAll(VS.createViewState('t1'), [ev(1), ev(2), ev(3)]);
    const replayed = applyAll(first, [ev(2), ev(3), ev(4), ev(5)]);
    expect(logSeqs(replayed)).toEqual([1, 2, 3, 4, 5]);
    expect(replayed.seq).toBe(5);
  });

  it('progress never goes down even if a newer event reports less', () => {
    const s = applyAll(VS.createViewState('t1'), [ev(1, { progress: 40 }), ev(2, { progress: 35 })]);
    expect(s.progress).toBe(40);
  });

  it('ignores events of another task and malformed events', () => {
    const s = VS.createViewState('t1');
    expect(VS.applyEvent(s, ev(1, { taskId: 'other' }))).toBe(s);
    expect(VS.applyEvent(s, { taskId: 't1' })).toBe(s);
    expect(VS.applyEvent(s, null)).toBe(s);
  });

  it('caps the log but keeps the newest entries', () => {
    const events = Array.from({ length: VS.MAX_LOG_ENTRIES + 5 }, (_, i) => ev(i + 1, { progress: 0 }));
    const s = applyAll(VS.createViewState('t1'), events);
    expect(s.log).toHaveLength(VS.MAX_LOG_ENTRIES);
    expect(s.log[s.log.length - 1].seq).toBe(VS.MAX_LOG_ENTRIES + 5);
    expect(s.log[0].seq).toBe(6);
  });
});

describe('applySnapshot with events (ack / reload)', () => {
  it('initialises the view, including stages and a log placeholder', () => {
    const s = VS.applySnapshot(VS.createViewState('t1'), snapshot());
    expect(s.seq).toBe(5);
    expect(s.name).toBe('petstore');
    expect(s.stages[0]).toMatchObject({ status: 'done', durationMs: 12 });
    expect(s.stages[1].status).toBe('running');
    expect(logSeqs(s)).toEqual([5]);
    expect(s.terminal).toBe(false);
  });

  it('replaying history from 0 after a snapshot rebuilds the log without rewinding the view', () => {
    let s = VS.applySnapshot(VS.createViewState('t1'), snapshot());
    s = applyAll(s, [1, 2, 3, 4, 5].map((n) => ev(n, { message: `history ${n}` })));
    expect(s.seq).toBe(5);
    expect(s.progress).toBe(35);
    expect(s.message).toBe('Generating foundation cases for GET /pets...');
    expect(logSeqs(s)).toEqual([1, 2, 3, 4, 5]);
    // The snapshot's placeholder for seq 5 is replaced by the real event.
    expect(s.log[4]).toMatchObject({ message: 'history 5' });
    expect(s.log[4].fromSnapshot).toBeUndefined();
    s = VS.applyEvent(s, ev(6, { stage: 'foundation', progress: 37, message: 'live' }));
    expect(s.seq).toBe(6);
    expect(s.message).toBe('live');
  });

  it('an ack snapshot older than the events already applied is ignored', () => {
    const s = applyAll(VS.createViewState('t1'), [1, 2, 3, 4, 5, 6, 7].map((n) => ev(n, { progress: 10 * n })));
    const after = VS.applySnapshot(s, snapshot({ seq: 5, progress: 50 }));
    expect(after).toBe(s);
  });

  it('a snapshot at the same seq refreshes details events lack (exact durations, warnings)', () => {
    const s = applyAll(VS.createViewState('t1'), [ev(1), ev(2)]);
    const after = VS.applySnapshot(s, snapshot({ seq: 2, progress: 2, warnings: ['w1'] }));
    expect(after.warnings).toEqual(['w1']);
    expect(after.stages[0].durationMs).toBe(12);
  });
});

describe('stages derived from events', () => {
  it('entering a later stage closes the earlier ones (done / skipped) with durations', () => {
    let s = applyAll(VS.createViewState('t1'), [
      ev(1, { stage: 'parsing', timestamp: at(0) }),
      ev(2, { stage: 'foundation', messageKey: 'foundation.endpoint', timestamp: at(250), progress: 31 }),
    ]);
    expect(s.stages.map((x: any) => x.status)).toEqual(['done', 'running', 'pending', 'pending']);
    expect(s.stages[0].durationMs).toBe(250);
    s = VS.applyEvent(s, ev(3, { stage: 'packaging', messageKey: 'packaging.started', timestamp: at(400), progress: 80 }));
    expect(s.stages.map((x: any) => x.status)).toEqual(['done', 'done', 'skipped', 'running']);
  });

  it('a `<stage>.skipped` message marks that stage skipped', () => {
    const s = applyAll(VS.createViewState('t1'), [
      ev(1, { stage: 'foundation', messageKey: 'foundation.done', progress: 40 }),
      ev(2, { stage: 'enhancing', messageKey: 'enhancing.skipped', progress: 80 }),
    ]);
    expect(s.stages.map((x: any) => x.status)).toEqual(['skipped', 'done', 'skipped', 'pending']);
  });

  it('the model-fallback message becomes a warning once', () => {
    const fallback = { stage: 'enhancing', messageKey: 'enhancing.fallback', message: 'AI enhancement failed for GET /pets; kept the foundation cases' };
    const s = applyAll(VS.createViewState('t1'), [ev(1, fallback), ev(2, fallback)]);
    expect(s.warnings).toEqual([fallback.message]);
  });
});

describe('terminal events', () => {
  const result = { caseCount: 12, foundationCaseCount: 10, aiCaseCount: 2, artifact: { url: '/v1/tasks/t1/artifact', bytes: 2048, sha256: 'x' } };

  it('completed: 100%, result kept, open stages closed, nothing applied afterwards', () => {
    let s = applyAll(VS.createViewState('t1'), [
      ev(1, { stage: 'packaging', progress: 90 }),
      ev(2, { type: 'completed', status: 'completed', stage: 'packaging', progress: 100, etaMs: 0, result }),
    ]);
    expect(s.terminal).toBe(true);
    expect(s.status).toBe('completed');
    expect(s.progress).toBe(100);
    expect(s.result).toEqual(result);
    expect(s.stages.map((x: any) => x.status)).toEqual(['skipped', 'skipped', 'skipped', 'done']);
    s = VS.applyEvent(s, ev(3, { message: 'after the end' }));
    expect(s.status).toBe('completed');
    expect(s.seq).toBe(2);
    expect(VS.artifactUrl(s)).toBe('/v1/tasks/t1/artifact');
  });

  it('failed: error kept and the running stage marked failed', () => {
    const s = applyAll(VS.createViewState('t1'), [
      ev(1, { stage: 'parsing' }),
      ev(2, { type: 'failed', status: 'failed', stage: 'parsing', error: { code: 'invalid_spec', message: 'bad' } }),
    ]);
    expect(s.terminal).toBe(true);
    expect(s.error).toEqual({ code: 'invalid_spec', message: 'bad' });
    expect(s.stages[0].status).toBe('failed');
    expect(s.result).toBeNull();
  });

  it('cancelled: terminal, running stage skipped', () => {
    const s = applyAll(VS.createViewState('t1'), [ev(1, { stage: 'enhancing', progress: 50 }), ev(2, { type: 'cancelled', status: 'cancelled', stage: 'enhancing', progress: 50 })]);
    expect(s.status).toBe('cancelled');
    expect(s.terminal).toBe(true);
    expect(s.stages[2].status).toBe('skipped');
  });

  it('a terminal snapshot marks the view terminal; the replayed terminal event only fills the log', () => {
    let s = VS.applySnapshot(VS.createViewState('t1'), snapshot({ status: 'completed', seq: 2, progress: 100, result, message: 'Done' }));
    expect(s.terminal).toBe(true);
    s = applyAll(s, [ev(1), ev(2, { type: 'completed', status: 'completed', progress: 100, result, message: 'Done: 12' })]);
    expect(logSeqs(s)).toEqual([1, 2]);
    expect(s.log[1].type).toBe('completed');
    expect(s.message).toBe('Done');
  });

  it('falls back to the documented artifact path when the result has no url', () => {
    expect(VS.artifactUrl({ taskId: 'a b', result: null })).toBe('/v1/tasks/a%20b/artifact');
  });
});

describe('formatting', () => {
  it('formats durations for an ETA', () => {
    expect(VS.formatDuration(null)).toBe('—');
    expect(VS.formatDuration(-1)).toBe('—');
    expect(VS.formatDuration(0)).toBe('<1 s');
    expect(VS.formatDuration(999)).toBe('<1 s');
    expect(VS.formatDuration(1200)).toBe('1 s');
    expect(VS.formatDuration(42_000)).toBe('42 s');
    expect(VS.formatDuration(185_000)).toBe('3 min 05 s');
    expect(VS.formatDuration(3_720_000)).toBe('1 h 02 min');
  });

  it('formats stage durations with sub-second detail', () => {
    expect(VS.formatStageDuration(12)).toBe('12 ms');
    expect(VS.formatStageDuration(1440)).toBe('1.4 s');
    expect(VS.formatStageDuration(65_000)).toBe('1 min 05 s');
    expect(VS.formatStageDuration(null)).toBe('');
  });

  it('formats bytes in binary units', () => {
    expect(VS.formatBytes(0)).toBe('0 B');
    expect(VS.formatBytes(1023)).toBe('1023 B');
    expect(VS.formatBytes(1024)).toBe('1 KiB');
    expect(VS.formatBytes(12_345)).toBe('12.1 KiB');
    expect(VS.formatBytes(50 * 1024 * 1024)).toBe('50 MiB');
    expect(VS.formatBytes(undefined)).toBe('—');
  });

  it('formats percent (floor until 100) and token rates', () => {
    expect(VS.formatPercent(52.9)).toBe('52%');
    expect(VS.formatPercent(99.9)).toBe('99%');
    expect(VS.formatPercent(100)).toBe('100%');
    expect(VS.formatPercent(150)).toBe('100%');
    expect(VS.formatPercent(undefined)).toBe('0%');
    expect(VS.formatRate(14.23)).toBe('14.2 tokens/s');
    expect(VS.formatRate(0)).toBe('');
  });

  it('reads and writes the task id in the hash', () => {
    expect(VS.taskIdFromHash('#task=abc-123')).toBe('abc-123');
    expect(VS.taskIdFromHash('#x=1&task=a%2Fb')).toBe('a/b');
    expect(VS.taskIdFromHash('')).toBeNull();
    expect(VS.taskIdFromHash('#task=')).toBeNull();
    expect(VS.hashForTask('a/b')).toBe('#task=a%2Fb');
  });

  it('describes problem+json and plain errors', () => {
    expect(VS.describeProblem(402, { title: 'Payment Required', detail: 'over budget', code: 'insufficient_tokens', status: 402 })).toEqual({
      title: 'Payment Required',
      detail: 'over budget',
      code: 'insufficient_tokens',
      status: 402,
    });
    expect(VS.describeProblem(502, 'Bad gateway')).toEqual({ title: 'Request failed (HTTP 502)', detail: 'Bad gateway', code: '', status: 502 });
  });
});
