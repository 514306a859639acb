import { Logger } from '@nestjs/common';
import { ProgressUpdate } from '@spectest/contracts';
import { DeliverySupersededError, InProcessMessaging } from '@spectest/messaging';
import { DispatchStore, TaskStore } from '@spectest/persistence';
import { createHash, randomUUID } from 'node:crypto';
import { StageRunner } from './stage-run';
import { TaskDispatcher } from './task-dispatcher';
import { StageTestDatabase, startStageTestDatabase } from './testing/stage-run.harness';

jest.setTimeout(30_000);

const delivery = () => ({ attempt: 1, inProgress: () => undefined });
const failed: ProgressUpdate = { type: 'failed', messageKey: 'task.failed', messageParams: { reason: 'x' }, error: { code: 'worker_failed', message: 'x' } };

/** Stale, duplicate and superseded work messages against a real Postgres: none of them can move or end a task. */
describe('StageRunner and fenced reports', () => {
  let stageDb: StageTestDatabase;
  let store: DispatchStore;
  let tasks: TaskStore;
  let messaging: InProcessMessaging;
  let runner: StageRunner;

  beforeAll(async () => {
    Logger.overrideLogger(false);
    stageDb = await startStageTestDatabase();
    store = new DispatchStore(stageDb.ds);
    tasks = new TaskStore(stageDb.ds);
    messaging = new InProcessMessaging();
    runner = new StageRunner(store, stageDb.writer, new TaskDispatcher(store, messaging), { leaseTtlMs: 1_000, heldPollMs: 50 });
  });
  afterAll(async () => {
    await messaging.close();
    await stageDb?.close();
    Logger.overrideLogger(['log', 'error', 'warn']);
  });

  async function newTask(): Promise<string> {
    const taskId = randomUUID();
    const spec = Buffer.from('{}');
    await stageDb.writer.createTask({
      taskId,
      tenant: 'acme',
      name: 'n',
      createdAt: new Date(),
      deadlineAt: new Date(Date.now() + 600_000),
      options: {},
      spec: { id: randomUUID(), content: spec, sha256: createHash('sha256').update(spec).digest('hex') },
      idempotencyKey: null,
      requestHash: null,
    });
    return taskId;
  }
  const status = async (taskId: string) => (await tasks.get(taskId))!.snapshot.status;

  it('a give-up of an older generation or of a stage the task has left does nothing; one of the current dispatch fails the task', async () => {
    const taskId = await newTask();
    await store.redispatch(taskId);
    expect(await stageDb.writer.report(taskId, failed, { generation: 1, stage: 'parse' })).toMatchObject({ ok: false, reason: 'stale_dispatch' });
    expect(await stageDb.writer.report(taskId, failed, { generation: 2, stage: 'enhance' })).toMatchObject({ ok: false, reason: 'stale_dispatch' });
    expect(await status(taskId)).toBe('queued');
    expect(await stageDb.writer.report(taskId, failed, { generation: 2, stage: 'parse' })).toMatchObject({ ok: true });
    expect(await status(taskId)).toBe('failed');
  });

  it('a give-up while a live run holds the task does nothing', async () => {
    const taskId = await newTask();
    let release!: () => void;
    const holding = new Promise<void>((resolve) => (release = resolve));
    const run = runner.run('parse', { taskId, generation: 1 }, delivery(), () => holding);
    await new Promise((r) => setTimeout(r, 100));
    expect(await stageDb.writer.report(taskId, failed, { generation: 1, stage: 'parse' })).toMatchObject({ ok: false, reason: 'stale_dispatch' });
    release();
    await run;
    expect(await status(taskId)).toBe('queued');
  });

  it('a second delivery of the dispatch waits for the first, then finds the task moved on: the stage runs once, the next stage is dispatched once', async () => {
    const taskId = await newTask();
    const published: unknown[] = [];
    const consumer = await messaging.consumeWork('enhance', async (payload) => void published.push(payload));
    let bodies = 0;
    const body = async (run: Parameters<Parameters<StageRunner['run']>[3]>[0]) => {
      bodies += 1;
      await run.reporter('parsing').report({ messageKey: 'parsing.started', stageProgress: 0 });
      await new Promise((r) => setTimeout(r, 300));
      await run.handOff('enhance');
    };
    await Promise.all([runner.run('parse', { taskId, generation: 1 }, delivery(), body), runner.run('parse', { taskId, generation: 1 }, delivery(), body)]);
    await new Promise((r) => setTimeout(r, 50));
    expect(bodies).toBe(1);
    expect(published).toEqual([{ taskId, generation: 1 }]);
    expect(await store.current(taskId)).toEqual({ taskId, generation: 1, stage: 'enhance' });
    await consumer.drain(100);
  });

  it('a run whose lease another delivery took over stops without writing, and leaves its own delivery unsettled', async () => {
    const taskId = await newTask();
    // Renewals every 12 s: the lease runs out below only because the test says so.
    const slow = new StageRunner(store, stageDb.writer, new TaskDispatcher(store, messaging), { leaseTtlMs: 60_000, heldPollMs: 50 });
    let stalled!: () => void;
    const first = slow.run('parse', { taskId, generation: 1 }, delivery(), async (run) => {
      // Cut off (an event loop blocked, the database unreachable) for longer than the lease lives.
      await new Promise<void>((resolve) => (stalled = resolve));
      await run.reporter('parsing').report({ messageKey: 'parsing.started', stageProgress: 0 });
    });
    await new Promise((r) => setTimeout(r, 50));
    await stageDb.ds.query(`UPDATE tasks SET lease_expires_at = now() - interval '1 second' WHERE id = $1`, [taskId]);
    let second: Promise<void> | undefined;
    const taken = new Promise<void>((resolve) => {
      second = slow.run('parse', { taskId, generation: 1 }, delivery(), async () => {
        resolve();
        await new Promise((r) => setTimeout(r, 200));
      });
    });
    await taken;
    stalled();
    await expect(first).rejects.toBeInstanceOf(DeliverySupersededError);
    await second;
    expect((await tasks.readEvents(taskId, 0, 100)).map((e) => e.messageKey)).toEqual(['task.queued']);
  });
});
