import { Logger } from '@nestjs/common';
import { TaskEvent } from '@spectest/contracts';
import { InProcessMessaging } from '@spectest/messaging';
import { DispatchStore, GenerationStore, TaskStore } from '@spectest/persistence';
import { ProgressWriter, StageRunner, TaskDispatcher } from '@spectest/progress';
import { stopSpecValidator } from '@spectest/openapi';
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { StageTestDatabase, runAsStage, startStageTestDatabase } from '../../../libs/progress/src/testing/stage-run.harness';
import { SpecParserConfigSchema } from './spec-parser.config';
import { SpecParserService } from './spec-parser.service';

jest.setTimeout(30_000);

const PETSTORE = readFileSync(join(__dirname, '..', '..', '..', 'tests', 'fixtures', 'petstore.yaml'));

/** A parse message may come again at any point of the step: it resumes from what is stored, never fails the task. */
describe('SpecParserService: redelivered work', () => {
  let stageDb: StageTestDatabase;
  let ds: DataSource;
  let writer: ProgressWriter;
  let tasks: TaskStore;
  let generation: GenerationStore;
  let dispatches: DispatchStore;
  const config = SpecParserConfigSchema.parse({ PARSE_HEARTBEAT_MS: '0', DATABASE_URL: 'postgres://unused' });

  beforeAll(async () => {
    Logger.overrideLogger(false);
    stageDb = await startStageTestDatabase();
    ({ ds, writer } = stageDb);
    tasks = new TaskStore(ds);
    generation = new GenerationStore(ds);
    dispatches = new DispatchStore(ds);
  });
  afterAll(async () => {
    await stopSpecValidator();
    await stageDb?.close();
    Logger.overrideLogger(['log', 'error', 'warn']);
  });

  async function newTask(spec: Buffer = PETSTORE): Promise<string> {
    const taskId = randomUUID();
    const now = new Date();
    await writer.createTask({
      taskId,
      tenant: 'acme',
      name: 'petstore',
      createdAt: now,
      deadlineAt: new Date(now.getTime() + 600_000),
      options: { ai: { provider: 'none' } },
      spec: { id: randomUUID(), content: spec, sha256: createHash('sha256').update(spec).digest('hex') },
      idempotencyKey: null,
      requestHash: null,
    });
    return taskId;
  }
  const events = async (taskId: string): Promise<TaskEvent[]> => tasks.readEvents(taskId, 0, 1000);
  const keys = async (taskId: string) => (await events(taskId)).map((e) => e.messageKey);
  const parse = (taskId: string, service = new SpecParserService(tasks, generation, config), messaging = new InProcessMessaging()) =>
    runAsStage(ds, writer, 'parse', taskId, (run) => service.run(run), messaging);

  it('a parse step redelivered between parsing.done and foundation.done builds the foundation from the stored document', async () => {
    const taskId = await newTask();
    // The first delivery dies while storing the foundation cases (a crash, a failed query).
    const dying = new GenerationStore(ds);
    dying.replaceCases = async () => {
      throw new Error('the connection was lost');
    };
    await expect(parse(taskId, new SpecParserService(tasks, dying, config))).rejects.toThrow('the connection was lost');
    const half = (await tasks.get(taskId))!.snapshot;
    expect(half.stages.slice(0, 2).map((s) => s.status)).toEqual(['done', 'running']);

    const messaging = new InProcessMessaging();
    const published: unknown[] = [];
    await messaging.consumeWork('enhance', async (payload) => void published.push(payload));
    await parse(taskId, undefined, messaging);

    const snapshot = (await tasks.get(taskId))!.snapshot;
    expect(snapshot.status).toBe('running');
    expect(snapshot.stages.slice(0, 2).map((s) => s.status)).toEqual(['done', 'done']);
    const seen = await keys(taskId);
    expect(seen.filter((k) => k === 'parsing.started' || k === 'parsing.done')).toEqual(['parsing.started', 'parsing.done']);
    expect(seen).not.toContain('task.failed');
    expect(seen.at(-1)).toBe('foundation.done');
    expect(await dispatches.current(taskId)).toEqual({ taskId, generation: 1, stage: 'enhance' });
    for (let i = 0; i < 50 && published.length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    expect(published).toEqual([{ taskId, generation: 1 }]);
    await messaging.close();
  });

  it('a parse step redelivered after foundation.done writes no event and does not dispatch the enhancer twice', async () => {
    const taskId = await newTask();
    await parse(taskId);
    const before = await events(taskId);
    // The broker hands the parse message out again (its ack was lost): it finds the task has moved on.
    await parse(taskId);
    expect(await events(taskId)).toEqual(before);
    expect(await dispatches.current(taskId)).toMatchObject({ stage: 'enhance' });
  });

  it('a parse message of an older generation does nothing', async () => {
    const taskId = await newTask();
    const renewed = await dispatches.redispatch(taskId);
    expect(renewed).toEqual({ taskId, generation: 2, stage: 'parse' });
    const service = new SpecParserService(tasks, generation, config);
    const runner = new StageRunner(dispatches, writer, new TaskDispatcher(dispatches, new InProcessMessaging()));
    await runner.run('parse', { taskId, generation: 1 }, { attempt: 1, inProgress: () => undefined }, (run) => service.run(run));
    expect(await keys(taskId)).toEqual(['task.queued']);
    expect(await dispatches.current(taskId)).toEqual({ taskId, generation: 2, stage: 'parse' });
  });

  it('a spec that cannot be read fails the task at once, with its code, instead of being retried', async () => {
    const taskId = await newTask(Buffer.from('openapi: [unclosed'));
    await parse(taskId);
    const snapshot = (await tasks.get(taskId))!.snapshot;
    expect(snapshot.status).toBe('failed');
    expect(snapshot.error?.code).toBe('invalid_spec');
  });
});
