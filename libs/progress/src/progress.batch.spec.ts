import { ProgressUpdate, TaskSnapshot, initialTaskState, reduceProgress } from '@spectest/contracts';
import { LockedTask, ReportItem, reduceBatch, taskIdsToLock } from './progress.batch';

const A = '0b7c6f8e-1d2a-4c3b-9e8f-7a6b5c4d3e2f';
const B = '1c8d7f9e-2e3b-4d4c-8f9a-8b7c6d5e4f30';
const T0 = Date.parse('2025-01-01T00:00:00.000Z');

const fresh = (taskId: string): TaskSnapshot => {
  const queued = reduceProgress(initialTaskState({ taskId, name: 'n', tenant: 'acme', createdAt: new Date(T0) }), { messageKey: 'task.queued', messageParams: { position: 1 } }, new Date(T0));
  if (!queued.ok) throw new Error(queued.detail);
  return queued.state;
};
/** A locked row whose dispatch is enhance generation 2, held by `owner` (live) or by nobody. */
const locked = (snapshot: TaskSnapshot, owner: string | null = null, leaseLive = owner !== null): LockedTask => ({
  snapshot,
  dispatch: { generation: 2, stage: 'enhance', leaseOwner: owner, leaseLive },
});
const step = (path: string, stageProgress: number): ProgressUpdate => ({ stage: 'enhancing', stageProgress, messageKey: 'enhancing.calling', messageParams: { method: 'GET', path } });
const clock = () => {
  let ms = T0;
  return () => new Date((ms += 1000));
};

describe('reduceBatch', () => {
  it('chains several updates of one task as if committed one by one, and gives the snapshot of its last state', () => {
    const current = new Map([[A, locked(fresh(A))]]);
    const items: ReportItem[] = [
      { taskId: A, update: step('/1', 0.1) },
      { taskId: A, update: step('/2', 0.5) },
      { taskId: A, update: step('/3', 0.2) },
    ];
    const out = reduceBatch(current, items, clock());

    // The same updates through the reducer one at a time.
    let state = fresh(A);
    const now = clock();
    const expected = items.map(({ update }) => {
      const r = reduceProgress(state, update, now());
      if (!r.ok) throw new Error(r.detail);
      state = r.state;
      return r;
    });
    expect(out.results).toEqual(expected.map((r) => ({ ok: true, event: r.event, snapshot: r.state })));
    expect(out.events.map((e) => e.seq)).toEqual([2, 3, 4]);
    expect(out.snapshots).toEqual([state]);
    expect(current.get(A)!.snapshot.seq).toBe(1);
  });

  it('answers a refusal for its item only and keeps the task state for the next item', () => {
    const out = reduceBatch(
      new Map([
        [A, locked(fresh(A))],
        [B, locked(fresh(B))],
      ]),
      [
        { taskId: A, update: step('/1', 0.1) },
        { taskId: A, update: { type: 'completed', messageKey: 'task.completed' } },
        { taskId: B, update: step('/b', 0.3) },
        { taskId: A, update: { stage: 'parsing', messageKey: 'parsing.started' } },
        { taskId: A.toUpperCase(), update: step('/2', 0.2) },
        { taskId: A, update: { type: 'cancelled', messageKey: 'task.cancelled' } },
        { taskId: A, update: step('/3', 0.9) },
        { taskId: 'nope', update: step('/x', 0.1) },
      ],
      clock(),
    );
    expect(out.results.map((r) => (r.ok ? `${r.event.taskId === A ? 'A' : 'B'}${r.event.seq}:${r.event.type}` : r.reason))).toEqual([
      'A2:progress',
      'invalid_update',
      'B2:progress',
      'stage_order',
      'A3:progress',
      'A4:cancelled',
      'task_ended',
      'not_found',
    ]);
    expect(out.events.map((e) => `${e.taskId === A ? 'A' : 'B'}${e.seq}`)).toEqual(['A2', 'B2', 'A3', 'A4']);
    expect(out.snapshots.map((s) => [s.taskId, s.seq, s.status])).toEqual([
      [A, 4, 'cancelled'],
      [B, 2, 'running'],
    ]);
  });

  it('writes no snapshot for a task whose every update was refused', () => {
    const out = reduceBatch(new Map([[A, locked(fresh(A))]]), [{ taskId: A, update: { type: 'failed', messageKey: 'task.failed' } }], clock());
    expect(out.events).toEqual([]);
    expect(out.snapshots).toEqual([]);
  });
});

describe('reduceBatch: fenced reports', () => {
  const failed: ProgressUpdate = { type: 'failed', messageKey: 'task.failed', error: { code: 'worker_failed', message: 'x' } };

  it('refuses a report of an older generation or of a stage the task has left, whatever it would have done', () => {
    const out = reduceBatch(
      new Map([[A, locked(fresh(A))]]),
      [
        { taskId: A, update: failed, fence: { generation: 1, stage: 'enhance' } },
        { taskId: A, update: step('/1', 0.1), fence: { generation: 2, stage: 'parse', owner: 'o1' } },
        { taskId: A, update: step('/1', 0.1), fence: { generation: 2, stage: 'enhance' } },
      ],
      clock(),
    );
    expect(out.results.map((r) => (r.ok ? 'ok' : r.reason))).toEqual(['stale_dispatch', 'stale_dispatch', 'ok']);
    expect(out.events).toHaveLength(1);
  });

  it('takes a run\'s report only from the lease owner, and a give-up only while no live lease holds the task', () => {
    const giveUp = { taskId: A, update: failed, fence: { generation: 2, stage: 'enhance' as const } };
    const held = reduceBatch(
      new Map([[A, locked(fresh(A), 'o1')]]),
      [{ taskId: A, update: step('/1', 0.1), fence: { generation: 2, stage: 'enhance', owner: 'o2' } }, giveUp, { taskId: A, update: step('/1', 0.1), fence: { generation: 2, stage: 'enhance', owner: 'o1' } }],
      clock(),
    );
    expect(held.results.map((r) => (r.ok ? 'ok' : r.reason))).toEqual(['stale_dispatch', 'stale_dispatch', 'ok']);
    const expired = reduceBatch(new Map([[A, locked(fresh(A), 'o1', false)]]), [giveUp], clock());
    expect(expired.results.map((r) => (r.ok ? r.event.type : r.reason))).toEqual(['failed']);
  });

  it('says task_ended, not stale_dispatch, once the task has ended', () => {
    const out = reduceBatch(
      new Map([[A, locked(fresh(A))]]),
      [{ taskId: A, update: { type: 'cancelled', messageKey: 'task.cancelled' } }, { taskId: A, update: failed, fence: { generation: 1, stage: 'parse' } }],
      clock(),
    );
    expect(out.results.map((r) => (r.ok ? 'ok' : r.reason))).toEqual(['ok', 'task_ended']);
  });
});

describe('taskIdsToLock', () => {
  it('gives distinct, lower-cased uuids in order and leaves out what is not a uuid', () => {
    const items = [B, A, B.toUpperCase(), 'not-a-uuid', "'; DROP TABLE tasks; --", A].map((taskId) => ({ taskId, update: step('/', 0) }));
    expect(taskIdsToLock(items)).toEqual([A, B]);
  });
});
