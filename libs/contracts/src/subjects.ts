/**
 * Every NATS subject of the system. No service writes a subject string inline.
 * A deployment-wide prefix (config `NATS_PREFIX`) is applied by libs/messaging, not here.
 */
export const WORK_STAGES = ['parse', 'enhance', 'package'] as const;
export type WorkStage = (typeof WORK_STAGES)[number];

export const subjects = {
  /** JetStream work queue of one stage worker. */
  work: (stage: WorkStage): string => `work.${stage}`,
  /** Everything the work stream holds. */
  workAll: 'work.>',
  /** Core NATS fan-out of one task's committed events. */
  taskEvents: (taskId: string): string => `task.${taskId}.events`,
  /** Core NATS control messages (cancel) for one task, and the wildcard workers listen on. */
  taskControl: (taskId: string): string => `task.${taskId}.control`,
  taskControlAll: 'task.*.control',
} as const;
