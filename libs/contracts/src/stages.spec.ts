import { EVENT_TYPES, STAGES, STAGE_BANDS, TASK_STATUSES, TERMINAL_STATUSES, isTerminalEvent, isTerminalStatus, progressInBand, stageIndex } from './stages';

describe('progressInBand', () => {
  it.each([
    ['parsing', 0, 0],
    ['parsing', 1, 30],
    ['foundation', 0, 30],
    ['foundation', 1, 40],
    ['enhancing', 0.5, 60],
    ['packaging', 0, 80],
    ['packaging', 1, 100],
  ] as const)('%s at %d is %d', (stage, p, expected) => {
    expect(progressInBand(stage, p)).toBe(expected);
  });

  it('clamps to the band and treats NaN as the band start', () => {
    expect(progressInBand('enhancing', -1)).toBe(40);
    expect(progressInBand('enhancing', 2)).toBe(80);
    expect(progressInBand('enhancing', Number.NaN)).toBe(40);
  });

  it('rounds to one decimal', () => {
    expect(progressInBand('parsing', 1 / 3)).toBe(10);
    expect(progressInBand('foundation', 0.123)).toBe(31.2);
  });

  it('bands are contiguous, ordered and cover 0..100', () => {
    expect(STAGE_BANDS[STAGES[0]][0]).toBe(0);
    expect(STAGE_BANDS[STAGES[STAGES.length - 1]][1]).toBe(100);
    for (let i = 1; i < STAGES.length; i++) expect(STAGE_BANDS[STAGES[i]][0]).toBe(STAGE_BANDS[STAGES[i - 1]][1]);
    expect(STAGES.map(stageIndex)).toEqual([0, 1, 2, 3]);
  });

  it('knows the terminal statuses', () => {
    expect(TASK_STATUSES.map(isTerminalStatus)).toEqual([false, false, true, true, true]);
    expect(['', 'progress', 'Completed', 'done'].map(isTerminalStatus)).toEqual([false, false, false, false]);
  });

  it('knows the terminal events: every type but progress, each named after the status it ends the task with', () => {
    expect(EVENT_TYPES.map((type) => isTerminalEvent({ type }))).toEqual([false, true, true, true]);
    expect(EVENT_TYPES.filter((type) => isTerminalEvent({ type }))).toEqual([...TERMINAL_STATUSES]);
    expect(TERMINAL_STATUSES.every((s) => (TASK_STATUSES as readonly string[]).includes(s))).toBe(true);
    expect(isTerminalEvent({ type: 'running' })).toBe(false);
  });
});
