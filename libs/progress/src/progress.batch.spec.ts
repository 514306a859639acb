import { ProgressUpdate, TaskSnapshot, initialTaskState, reduceProgress } from '@spectest/contracts';
import { ReportItem, reduceBatch, taskIdsToLock } from './progress.batch';

const A = '0b7c6f8e-1d2a-4c3b-9e8f-7a6b5c4d3e2f';
const B = '1c8d7f9e-2e3b-4d4c-8f9a-8b7c6d5e4f30';
const T0 = Date.parse('2025-01-01T00:00:00.000Z');

const fresh = (taskId: string): TaskSnapshot => {
  const queued = reduceProgress(initialTaskState({ taskId, name: 'n', tenant: 'acme', createdAt: new Date(T0) }), { messageKey: 'task.queued', messageParams: { position: 1 } }, new Date(T0));
  if (!queued.ok) throw new Error(queued.detail);
  return queued.state;
};
const step = (path: string, stageProgress: number): ProgressUpdate => ({ stage: 'enhancing', stageProgress, messageKey: 'enhancing.calling', messageParams: { method: 'GET', path } });
const clock = () => {
  let ms = T0;
  return () => new Date((ms += 1000));
};

describe('reduceBatch', () => {
  it('chains several updates of one task as if committed one by one, and gives the snapshot of its last state', () => {
    const current = new Map([[A, fresh(A)]]);
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
    expect(current.get(A)!.seq).toBe(1);
  });

  it('answers a refusal for its item only and keeps the task state for the next item', () => {
    const out = reduceBatch(
      new Map([
        [A, fresh(A)],
        [B, fresh(B)],
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
    const out = reduceBatch(new Map([[A, fresh(A)]]), [{ taskId: A, update: { type: 'failed', messageKey: 'task.failed' } }], clock());
    expect(out.events).toEqual([]);
    expect(out.snapshots).toEqual([]);
  });
});

describe('taskIdsToLock', () => {
  it('gives distinct, lower-cased uuids in order and leaves out what is not a uuid', () => {
    const items = [B, A, B.toUpperCase(), 'not-a-uuid', "'; DROP TABLE tasks; --", A].map((taskId) => ({ taskId, update: step('/', 0) }));
    expect(taskIdsToLock(items)).toEqual([A, B]);
  });
});
