import type { Messaging } from '@spectest/messaging';
import type { TaskStore } from '@spectest/persistence';
import type { StageInfo, WorkStage } from '@spectest/contracts';

/** The work message that moves a task on from where its stages stand. */
export function nextWork(stages: StageInfo[]): WorkStage {
  const status = (name: string) => stages.find((s) => s.name === name)?.status;
  const closed = (name: string) => status(name) === 'done' || status(name) === 'skipped';
  if (!closed('foundation')) return 'parse';
  if (!closed('enhancing')) return 'enhance';
  return 'package';
}

/**
 * The in-process queue dies with the process; the tasks do not. At start, every task still active is
 * handed to the stage it was in. Stages are idempotent, so a task that was between two steps is safe.
 */
export async function resumeActiveTasks(tasks: TaskStore, messaging: Messaging): Promise<number> {
  const active = await tasks.findActive();
  for (const t of active) await messaging.publishWork(nextWork(t.stages as StageInfo[]), { taskId: t.id });
  return active.length;
}
