/** The four stages of a task, in the only order they may run. */
export const STAGES = ['parsing', 'foundation', 'enhancing', 'packaging'] as const;
export type Stage = (typeof STAGES)[number];

/** Default bands of overall `progress` (0-100) each stage fills, per API.md. */
export const STAGE_BANDS: Record<Stage, readonly [number, number]> = {
  parsing: [0, 30],
  foundation: [30, 40],
  enhancing: [40, 80],
  packaging: [80, 100],
};

export const TASK_STATUSES = ['queued', 'running', 'completed', 'failed', 'cancelled'] as const;
export type TaskStatus = (typeof TASK_STATUSES)[number];
/** The statuses a task ends in; each is also the `type` of the one terminal event that ends it. */
export const TERMINAL_STATUSES = ['completed', 'failed', 'cancelled'] as const satisfies readonly TaskStatus[];
/** Event types: `progress`, or the terminal status the event ends the task with. */
export type TerminalStatus = (typeof TERMINAL_STATUSES)[number];
export const EVENT_TYPES = ['progress', ...TERMINAL_STATUSES] as const;

const TERMINAL: ReadonlySet<string> = new Set(TERMINAL_STATUSES);
/** The task has ended (a snapshot's or a row's status); nothing can follow. */
export const isTerminalStatus = (status: string): boolean => TERMINAL.has(status);
/** The event ends its task: the last event of the task, after which nothing is sent. */
export const isTerminalEvent = (event: { readonly type: string }): boolean => TERMINAL.has(event.type);

export const STAGE_STATUSES = ['pending', 'running', 'done', 'skipped', 'failed'] as const;
export type StageStatus = (typeof STAGE_STATUSES)[number];

export const stageIndex = (s: Stage): number => STAGES.indexOf(s);

/** Overall progress for a point inside a stage, rounded to one decimal. */
export function progressInBand(stage: Stage, stageProgress: number): number {
  const [lo, hi] = STAGE_BANDS[stage];
  const p = Math.min(1, Math.max(0, Number.isFinite(stageProgress) ? stageProgress : 0));
  return Math.round((lo + p * (hi - lo)) * 10) / 10;
}
