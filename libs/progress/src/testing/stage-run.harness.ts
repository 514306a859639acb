import type { WorkStage } from '@spectest/contracts';
import { InProcessMessaging, type Messaging } from '@spectest/messaging';
import { DispatchStore } from '@spectest/persistence';
import { DataSource } from 'typeorm';
import type { ProgressWriter } from '../progress.writer';
import { StageRun, StageRunner } from '../stage-run';
import { TaskDispatcher } from '../task-dispatcher';

/**
 * For stage specs: runs `body` as the delivery of the task's `stage` dispatch would, through the real
 * StageRunner (lease, fence, hand-off) on the spec's database. The task's dispatch is set to `stage` first.
 */
export async function runAsStage(
  ds: DataSource,
  writer: ProgressWriter,
  stage: WorkStage,
  taskId: string,
  body: (run: StageRun) => Promise<void>,
  messaging: Messaging = new InProcessMessaging(),
): Promise<void> {
  const store = new DispatchStore(ds);
  await ds.query(`UPDATE tasks SET dispatch_stage = $2 WHERE id = $1`, [taskId, stage]);
  const current = await store.current(taskId);
  const runner = new StageRunner(store, writer, new TaskDispatcher(store, messaging));
  await runner.run(stage, { taskId, generation: current?.generation ?? 1 }, { attempt: 1, inProgress: () => undefined }, body);
}
