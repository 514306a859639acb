import type { WorkStage } from '@spectest/contracts';
import { InProcessMessaging, type Messaging } from '@spectest/messaging';
import { DispatchStore, createDataSource, runMigrations } from '@spectest/persistence';
import { TestDatabase, createTestDatabase } from '@spectest/testing';
import { DataSource } from 'typeorm';
import { ProgressWriter } from '../progress.writer';
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

export interface StageTestDatabase {
  ds: DataSource;
  /** The real event writer over it (events are not published). */
  writer: ProgressWriter;
  close(): Promise<void>;
}

/** For stage specs: a fresh, migrated test database and an event writer on it. */
export async function startStageTestDatabase(poolSize = 4): Promise<StageTestDatabase> {
  const db: TestDatabase = await createTestDatabase();
  const ds = createDataSource({ url: db.url, poolSize });
  await ds.initialize();
  await runMigrations(ds);
  const writer = new ProgressWriter(ds, { publishEvent: async () => undefined });
  return {
    ds,
    writer,
    close: async () => {
      await writer.close();
      if (ds.isInitialized) await ds.destroy();
      await db.drop();
    },
  };
}
