import type { DispatchStore, TaskStore } from '@spectest/persistence';
import type { TaskDispatcher } from '@spectest/progress';

/**
 * The in-process queue dies with the process; the tasks do not. At start, every task still active is
 * dispatched again, as a new generation of the stage it was in: whatever the dead process had left in
 * flight is stale, and each stage resumes from what it stored.
 */
export async function resumeActiveTasks(tasks: TaskStore, dispatches: DispatchStore, dispatcher: TaskDispatcher): Promise<number> {
  const active = await tasks.findActive();
  for (const t of active) {
    const dispatch = await dispatches.redispatch(t.id);
    if (dispatch) await dispatcher.publish(dispatch);
  }
  return active.length;
}
