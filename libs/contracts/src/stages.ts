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
export const TERMINAL_STATUSES: readonly TaskStatus[] = ['completed', 'failed', 'cancelled'];
export const isTerminalStatus = (s: TaskStatus): boolean => TERMINAL_STATUSES.includes(s);

export const STAGE_STATUSES = ['pending', 'running', 'done', 'skipped', 'failed'] as const;
export type StageStatus = (typeof STAGE_STATUSES)[number];

export const stageIndex = (s: Stage): number => STAGES.indexOf(s);

/** Overall progress for a point inside a stage, rounded to one decimal. */
export function progressInBand(stage: Stage, stageProgress: number): number {
  const [lo, hi] = STAGE_BANDS[stage];
  const p = Math.min(1, Math.max(0, Number.isFinite(stageProgress) ? stageProgress : 0));
  return Math.round((lo + p * (hi - lo)) * 10) / 10;
}
