import { initialTaskState, reduceProgress, ProgressUpdate, TaskEvent } from '@spectest/contracts';
import { brokenEventRules } from './event-rules';

/** The checker the end-to-end suites rely on must itself catch each broken rule. */
describe('brokenEventRules', () => {
  const lawful = (): TaskEvent[] => {
    let state = initialTaskState({ taskId: '7d3c1f7e-52f3-4c1a-9a53-2b1e7f1c9a10', name: 't', tenant: 'x', createdAt: new Date(0) });
    const updates: ProgressUpdate[] = [
      { messageKey: 'task.queued', messageParams: { position: 1 } },
      { stage: 'parsing', messageKey: 'parsing.started' },
      { stage: 'parsing', stageStatus: 'done', messageKey: 'parsing.done' },
      { stage: 'foundation', stageStatus: 'done', messageKey: 'foundation.done' },
      { stage: 'enhancing', stageStatus: 'skipped', messageKey: 'enhancing.skipped' },
      { stage: 'packaging', messageKey: 'packaging.started' },
      { type: 'completed', stage: 'packaging', stageStatus: 'done', messageKey: 'task.completed', result: { caseCount: 1, foundationCaseCount: 1, aiCaseCount: 0, artifact: { url: '/a', bytes: 1, sha256: 'x' } } },
    ];
    return updates.map((u, i) => {
      const out = reduceProgress(state, u, new Date(1000 * (i + 1)));
      if (!out.ok) throw new Error(out.detail);
      state = out.state;
      return out.event;
    });
  };

  it('accepts a lawful sequence', () => expect(brokenEventRules(lawful())).toEqual([]));
  it('catches a gap', () => expect(brokenEventRules(lawful().filter((e) => e.seq !== 3)).join()).toMatch(/expected 3/));
  it('catches a duplicate', () => {
    const events = lawful();
    expect(brokenEventRules([...events.slice(0, 3), events[2], ...events.slice(3)]).length).toBeGreaterThan(0);
  });
  it('catches progress going down', () => {
    const events = lawful();
    events[3] = { ...events[3], progress: 1 };
    expect(brokenEventRules(events).join()).toMatch(/progress went down/);
  });
  it('catches a missing or a second terminal event', () => {
    expect(brokenEventRules(lawful().slice(0, -1)).join()).toMatch(/not terminal/);
    const events = lawful();
    expect(brokenEventRules([...events, { ...events[events.length - 1], seq: events.length + 1 }]).join()).toMatch(/exactly one terminal/);
  });
  it('catches a completed event below 100', () => {
    const events = lawful();
    events[events.length - 1] = { ...events[events.length - 1], progress: 99 };
    expect(brokenEventRules(events).join()).toMatch(/not 100/);
  });
});
