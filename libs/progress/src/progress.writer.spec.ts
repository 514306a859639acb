import { ProgressUpdate, TaskEvent, TaskResult, subjects } from '@spectest/contracts';
import { NatsMessaging } from '@spectest/messaging';
import { TaskStore, createDataSource, runMigrations } from '@spectest/persistence';
import { TestDatabase, createTestDatabase, deleteNatsTestStreams, testNatsConfig } from '@spectest/testing';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { EventPublisher, MessagingEventPublisher, NewTaskInput, ProgressWriter } from './progress.writer';
import { StageReporter, TaskEndedError } from './stage.reporter';
import { sampleTaskInput } from '../../../tests/support/task-input';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

function newTaskInput(tenant = 'acme'): NewTaskInput {
  return sampleTaskInput({ tenant, name: 'petstore', specText: 'openapi: 3.0.3\ninfo: { title: t, version: "1" }\npaths: {}\n' });
}

const RESULT: TaskResult = {
  caseCount: 3,
  foundationCaseCount: 3,
  aiCaseCount: 0,
  artifact: { url: '/v1/tasks/x/artifact', bytes: 10, sha256: 'ab' },
};

/**
 * Checks, at publish time and from ANOTHER connection, that the event's row is already committed:
 * a publish from inside the transaction would not see it (READ COMMITTED) and is recorded as a violation.
 */
class CommitCheckingPublisher implements EventPublisher {
  readonly published: TaskEvent[] = [];
  readonly notCommitted: number[] = [];
  constructor(
    private readonly inner: EventPublisher,
    private readonly observer: DataSource,
  ) {}

  async publishEvent(event: TaskEvent): Promise<void> {
    const rows = await this.observer.query('SELECT 1 FROM task_events WHERE task_id = $1 AND seq = $2', [event.taskId, event.seq]);
    if (rows.length !== 1) this.notCommitted.push(event.seq);
    this.published.push(event);
    await this.inner.publishEvent(event);
  }
}

jest.setTimeout(20_000);

describe('ProgressWriter (real Postgres and NATS)', () => {
  const nats = testNatsConfig();
  let db: TestDatabase;
  const sources: DataSource[] = [];
  let observer: DataSource;
  let store: TaskStore;
  let bus: NatsMessaging;
  let reader: NatsMessaging;

  const openDataSource = async (): Promise<DataSource> => {
    const ds = createDataSource({ url: db.url, poolSize: 4, applicationName: 'progress-writer-spec' });
    await ds.initialize();
    sources.push(ds);
    return ds;
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    observer = await openDataSource();
    await runMigrations(observer);
    store = new TaskStore(observer);
    bus = await NatsMessaging.connect({ ...nats, logger: quiet });
    reader = await NatsMessaging.connect({ ...nats, logger: quiet });
  });

  afterAll(async () => {
    await bus?.close();
    await reader?.close();
    await Promise.all(sources.map((ds) => ds.destroy()));
    await db?.drop();
    await deleteNatsTestStreams(nats.url, nats.prefix);
  });

  /** A writer as another process would have it: its own pool, its own publisher on the shared NATS. */
  const newWriter = async (): Promise<{ writer: ProgressWriter; publisher: CommitCheckingPublisher }> => {
    const publisher = new CommitCheckingPublisher(new MessagingEventPublisher(bus), observer);
    return { writer: new ProgressWriter(await openDataSource(), publisher), publisher };
  };

  const tableEvents = async (taskId: string): Promise<TaskEvent[]> => store.readEvents(taskId, 0, 10_000);

  /** Everything published on task.<id>.events, collected until `stop()`. */
  const listen = async (taskId: string) => {
    const got: TaskEvent[] = [];
    const stop = await reader.subscribe(subjects.taskEvents(taskId), (payload) => got.push(payload as TaskEvent));
    return { got, stop };
  };

  /** Core NATS is asynchronous: wait until `n` messages arrived (or fail with what we have). */
  const waitForCount = async (got: unknown[], n: number, timeoutMs = 10_000): Promise<void> => {
    const deadline = Date.now() + timeoutMs;
    while (got.length < n && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    expect(got.length).toBe(n);
  };

  it('createTask stores the task and seq 1 `task.queued`, then publishes it', async () => {
    const { writer, publisher } = await newWriter();
    const input = newTaskInput();
    const sub = await listen(input.taskId);
    const { snapshot, event } = await writer.createTask(input);

    expect(event).toMatchObject({ taskId: input.taskId, seq: 1, type: 'progress', status: 'queued', messageKey: 'task.queued', progress: 0 });
    expect(event.messageParams).toEqual({ position: expect.any(Number) });
    expect(event.message).toMatch(/^Task queued \(position \d+\)$/);
    expect(snapshot).toMatchObject({ taskId: input.taskId, seq: 1, status: 'queued', tenant: 'acme', name: 'petstore' });

    expect(await tableEvents(input.taskId)).toEqual([event]);
    expect((await store.get(input.taskId))?.snapshot).toEqual(snapshot);
    expect(await store.getSpecContent(input.spec.id)).toEqual(input.spec.content);

    await waitForCount(sub.got, 1);
    expect(sub.got).toEqual([event]);
    expect(publisher.notCommitted).toEqual([]);
    await sub.stop();
  });

  it('gives seq 1..N+1 with no gap or duplicate under concurrent reports from several processes, progress never down', async () => {
    const writers = await Promise.all([1, 2, 3].map(() => newWriter()));
    const input = newTaskInput();
    // Listen first: seq 1 is published by createTask, and then it must arrive like every other event.
    const sub = await listen(input.taskId);
    await writers[0].writer.createTask(input);

    const perWriter = 25;
    const n = perWriter * writers.length;
    // Each writer reports its own, interleaving stageProgress values; the reducer's max keeps progress monotonic.
    const results = await Promise.all(
      writers.flatMap(({ writer }, w) =>
        Array.from({ length: perWriter }, (_, i) =>
          writer.report(input.taskId, {
            stage: 'parsing',
            stageProgress: (i * writers.length + w) / n,
            messageKey: 'parsing.started',
          }),
        ),
      ),
    );

    expect(results.every((r) => r.ok)).toBe(true);
    const returnedSeqs = results.map((r) => (r.ok ? r.event.seq : -1)).sort((a, b) => a - b);
    expect(returnedSeqs).toEqual(Array.from({ length: n }, (_, i) => i + 2));

    const events = await tableEvents(input.taskId);
    expect(events.map((e) => e.seq)).toEqual(Array.from({ length: n + 1 }, (_, i) => i + 1));
    for (let i = 1; i < events.length; i++) expect(events[i].progress).toBeGreaterThanOrEqual(events[i - 1].progress);
    // Each returned event is exactly the stored one.
    const bySeq = new Map(events.map((e) => [e.seq, e]));
    for (const r of results) if (r.ok) expect(bySeq.get(r.event.seq)).toEqual(r.event);

    const snapshot = (await store.get(input.taskId))!.snapshot;
    expect(snapshot.seq).toBe(n + 1);
    expect(snapshot.progress).toBe(events[events.length - 1].progress);

    // Every committed event went out on the bus, once, and only after its commit.
    await waitForCount(sub.got, n + 1);
    expect(sub.got.map((e) => e.seq).sort((a, b) => a - b)).toEqual([1, ...returnedSeqs]);
    for (const e of sub.got) expect(e).toEqual(bySeq.get(e.seq));
    expect(writers.flatMap((w) => w.publisher.notCommitted)).toEqual([]);
    await sub.stop();
  });

  it('refuses a report after the terminal event (task_ended), writing and publishing nothing', async () => {
    const { writer, publisher } = await newWriter();
    const input = newTaskInput();
    await writer.createTask(input);
    await writer.report(input.taskId, { stage: 'parsing', stageProgress: 0.5, messageKey: 'parsing.started' });
    const done = await writer.report(input.taskId, { type: 'completed', messageKey: 'task.completed', messageParams: { caseCount: 3 }, result: RESULT });
    expect(done.ok && done.event).toMatchObject({ seq: 3, type: 'completed', status: 'completed', progress: 100, result: RESULT });
    const before = (await store.get(input.taskId))!.snapshot;
    const publishedBefore = publisher.published.length;

    const late = await writer.report(input.taskId, { stage: 'packaging', stageProgress: 0.1, messageKey: 'packaging.started' });
    expect(late).toMatchObject({ ok: false, reason: 'task_ended' });
    const cancel = await writer.report(input.taskId, { type: 'cancelled', messageKey: 'task.cancelled' });
    expect(cancel).toMatchObject({ ok: false, reason: 'task_ended' });

    expect((await tableEvents(input.taskId)).map((e) => e.seq)).toEqual([1, 2, 3]);
    expect((await store.get(input.taskId))!.snapshot).toEqual(before);
    expect(publisher.published.length).toBe(publishedBefore);
  });

  it('lets exactly one of several racing terminal reports win (a task never ends twice)', async () => {
    const writers = await Promise.all([1, 2, 3].map(() => newWriter()));
    const input = newTaskInput();
    await writers[0].writer.createTask(input);
    await writers[0].writer.report(input.taskId, { stage: 'enhancing', stageProgress: 0.3, messageKey: 'enhancing.calling', messageParams: { method: 'GET', path: '/pets' } });

    const outcomes = await Promise.all([
      writers[0].writer.report(input.taskId, { type: 'completed', messageKey: 'task.completed', messageParams: { caseCount: 3 }, result: RESULT }),
      writers[1].writer.report(input.taskId, { type: 'cancelled', messageKey: 'task.cancelled' }),
      writers[2].writer.report(input.taskId, {
        type: 'failed',
        messageKey: 'task.failed',
        messageParams: { reason: 'deadline' },
        error: { code: 'timeout', message: 'deadline' },
      }),
    ]);
    expect(outcomes.filter((o) => o.ok)).toHaveLength(1);
    expect(outcomes.filter((o) => !o.ok && o.reason === 'task_ended')).toHaveLength(2);
    const events = await tableEvents(input.taskId);
    expect(events.map((e) => e.seq)).toEqual([1, 2, 3]);
    expect(['completed', 'cancelled', 'failed']).toContain(events[2].type);
    expect((await store.get(input.taskId))!.snapshot.status).toBe(events[2].type);
  });

  it('keeps the snapshot columns in agreement with the last event (and with what report returned)', async () => {
    const { writer } = await newWriter();
    const input = newTaskInput('globex');
    await writer.createTask(input);
    const updates: ProgressUpdate[] = [
      { stage: 'parsing', stageProgress: 0.33, messageKey: 'parsing.started' },
      {
        stage: 'parsing',
        stageStatus: 'done',
        messageKey: 'parsing.done',
        messageParams: { endpointCount: 4, title: 'Pets', version: '1.0' },
        endpointCount: 4,
      },
      {
        stage: 'enhancing',
        stageProgress: 0.37,
        messageKey: 'enhancing.tokens',
        messageParams: { method: 'POST', path: '/pets', completion: 230, perSecond: 14.2 },
        currentEndpoint: 2,
        endpoint: 'POST /pets',
        tokens: { prompt: 45, completion: 230, total: 275, perSecond: 14.2 },
        etaMs: 20_000,
        warnings: ['AI enhancement failed for GET /pets; kept the foundation cases'],
      },
    ];
    for (const update of updates) {
      const r = await writer.report(input.taskId, update);
      expect(r.ok).toBe(true);
      if (!r.ok) return;
      const stored = (await store.get(input.taskId))!.snapshot;
      // The row read back is exactly the reducer's state: no drift through column types (real, bigint, jsonb).
      expect(stored).toEqual(r.snapshot);
      const last = (await tableEvents(input.taskId)).at(-1)!;
      expect(last).toEqual(r.event);
      for (const key of ['seq', 'status', 'stage', 'progress', 'message', 'messageKey', 'messageParams', 'endpointCount', 'currentEndpoint', 'tokens', 'etaMs', 'elapsedMs'] as const) {
        expect([key, stored[key]]).toEqual([key, last[key]]);
      }
    }
    const stored = (await store.get(input.taskId))!.snapshot;
    expect(stored.stages.map((s) => s.status)).toEqual(['done', 'skipped', 'running', 'pending']);
    expect(stored.warnings).toEqual(['AI enhancement failed for GET /pets; kept the foundation cases']);

    const failed = await writer.report(input.taskId, {
      type: 'failed',
      stage: 'enhancing',
      stageStatus: 'failed',
      messageKey: 'task.failed',
      messageParams: { reason: 'boom' },
      error: { code: 'internal', message: 'boom' },
    });
    expect(failed.ok).toBe(true);
    const end = (await store.get(input.taskId))!.snapshot;
    const last = (await tableEvents(input.taskId)).at(-1)!;
    expect(end).toMatchObject({ status: 'failed', seq: last.seq, progress: last.progress, error: { code: 'internal', message: 'boom' } });
    expect(last.error).toEqual({ code: 'internal', message: 'boom' });
    expect(end.finishedAt).not.toBeNull();
  });

  it('reportMany returns one result per item, in order, across tasks; unknown tasks are not_found', async () => {
    const { writer, publisher } = await newWriter();
    const a = newTaskInput();
    const b = newTaskInput();
    await writer.createTask(a);
    await writer.createTask(b);
    const results = await writer.reportMany([
      { taskId: a.taskId, update: { stage: 'parsing', stageProgress: 0.1, messageKey: 'parsing.started' } },
      { taskId: randomUUID(), update: { stage: 'parsing', messageKey: 'parsing.started' } },
      { taskId: b.taskId, update: { stage: 'parsing', stageProgress: 0.2, messageKey: 'parsing.started' } },
      { taskId: a.taskId, update: { stage: 'parsing', stageProgress: 0.05, messageKey: 'parsing.started' } },
      { taskId: a.taskId, update: { type: 'failed', messageKey: 'task.failed' } },
    ]);
    expect(results.map((r) => (r.ok ? `${r.event.taskId === a.taskId ? 'a' : 'b'}${r.event.seq}` : r.reason))).toEqual([
      'a2',
      'not_found',
      'b2',
      'a3',
      'invalid_update',
    ]);
    // progress never goes down, even when a later update reports less.
    expect(results[3].ok && results[3].event.progress).toBe(3);
    expect(publisher.notCommitted).toEqual([]);
    expect(publisher.published.filter((e) => e.taskId === a.taskId).map((e) => e.seq)).toEqual([1, 2, 3]);
  });

  it('StageReporter tags the stage, coalesces frequent updates and turns an ended task into TaskEndedError', async () => {
    const { writer } = await newWriter();
    const input = newTaskInput();
    await writer.createTask(input);
    let now = 1_000;
    const reporter = new StageReporter(writer, input.taskId, 'foundation', 250, () => now);
    await reporter.report({ stageProgress: 0, messageKey: 'foundation.endpoint', messageParams: { method: 'GET', path: '/a' } });
    now += 100;
    expect(await reporter.reportCoalesced({ stageProgress: 0.5, messageKey: 'foundation.endpoint', messageParams: { method: 'GET', path: '/b' } })).toBe(false);
    now += 200;
    expect(await reporter.reportCoalesced({ stageProgress: 0.5, messageKey: 'foundation.endpoint', messageParams: { method: 'GET', path: '/b' } })).toBe(true);
    await reporter.done({ messageKey: 'foundation.done', messageParams: { count: 3 } });
    const events = await tableEvents(input.taskId);
    expect(events.map((e) => [e.seq, e.stage, e.progress])).toEqual([
      [1, null, 0],
      [2, 'foundation', 30],
      [3, 'foundation', 35],
      [4, 'foundation', 40],
    ]);

    await writer.report(input.taskId, { type: 'cancelled', messageKey: 'task.cancelled' });
    await expect(reporter.report({ messageKey: 'foundation.done', messageParams: { count: 3 } })).rejects.toBeInstanceOf(TaskEndedError);
    // fail() after the end is quiet and writes nothing.
    await expect(reporter.fail({ code: 'internal', message: 'late' })).resolves.toBeUndefined();
    expect((await tableEvents(input.taskId)).map((e) => e.type)).toEqual(['progress', 'progress', 'progress', 'progress', 'cancelled']);
  });
});
