import { ProgressUpdate, TaskEvent, TaskResult } from '@spectest/contracts';
import { TaskStore, createDataSource, runMigrations } from '@spectest/persistence';
import { TestDatabase, createTestDatabase } from '@spectest/testing';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { BatchStats, EventPublisher, ProgressWriter, ProgressWriterClosedError, ProgressWriterOptions, ReportResult } from './progress.writer';
import { sampleTaskInput } from '../../../tests/support/task-input';

const RESULT: TaskResult = { caseCount: 1, foundationCaseCount: 1, aiCaseCount: 0, artifact: { url: '/a', bytes: 1, sha256: 'ab' } };

/** An update whose event says which call made it (messageParams.path), so arrival order can be checked. */
const call = (tag: string, stageProgress = 0.5): ProgressUpdate => ({
  stage: 'enhancing',
  stageProgress,
  messageKey: 'enhancing.calling',
  messageParams: { method: 'GET', path: tag },
});
const tagOf = (e: TaskEvent) => String(e.messageParams.path);
const seqOf = (r: ReportResult) => (r.ok ? r.event.seq : -1);
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** Records what went out, in order, and checks from another connection that it was committed first. */
class RecordingPublisher implements EventPublisher {
  readonly published: TaskEvent[] = [];
  readonly notCommitted: string[] = [];
  constructor(private readonly observer?: DataSource) {}
  async publishEvent(event: TaskEvent): Promise<void> {
    if (this.observer) {
      const rows = await this.observer.query('SELECT 1 FROM task_events WHERE task_id = $1 AND seq = $2', [event.taskId, event.seq]);
      if (rows.length !== 1) this.notCommitted.push(`${event.taskId}#${event.seq}`);
    }
    this.published.push(event);
  }
}

jest.setTimeout(60_000);

describe('ProgressWriter batching (real Postgres)', () => {
  let db: TestDatabase;
  const sources: DataSource[] = [];
  let observer: DataSource;
  let store: TaskStore;

  const openDataSource = async (): Promise<DataSource> => {
    const ds = createDataSource({ url: db.url, poolSize: 4, applicationName: 'progress-batching-spec' });
    await ds.initialize();
    sources.push(ds);
    return ds;
  };

  beforeAll(async () => {
    db = await createTestDatabase();
    observer = await openDataSource();
    await runMigrations(observer);
    store = new TaskStore(observer);
  });

  afterAll(async () => {
    await Promise.all(sources.map((ds) => (ds.isInitialized ? ds.destroy() : undefined)));
    await db?.drop();
  });

  /** A writer as one process would have it: its own pool. Counts failed batches and records batch sizes. */
  const newWriter = async (options: ProgressWriterOptions = {}, checkCommit = false) => {
    const publisher = new RecordingPublisher(checkCommit ? observer : undefined);
    const batches: BatchStats[] = [];
    const failures: unknown[] = [];
    const writer = new ProgressWriter(await openDataSource(), publisher, {
      onBatch: (s) => batches.push(s),
      onBatchFailed: (err) => failures.push(err),
      ...options,
    });
    return { writer, publisher, batches, failures };
  };

  const newTasks = async (writer: ProgressWriter, n: number): Promise<string[]> => {
    const ids: string[] = [];
    for (let i = 0; i < n; i++) ids.push((await writer.createTask(sampleTaskInput())).snapshot.taskId);
    return ids;
  };

  const storedEvents = (taskId: string) => store.readEvents(taskId, 0, 100_000);
  const seqs = (n: number, from = 1) => Array.from({ length: n }, (_, i) => i + from);

  it('commits concurrent reports of one task in arrival order, several per transaction, published after commit in seq order', async () => {
    const { writer, publisher, batches, failures } = await newWriter({}, true);
    const [taskId] = await newTasks(writer, 1);
    const arrival: string[] = [];
    const callers = Array.from({ length: 10 }, async (_, c) => {
      const mine: Promise<ReportResult>[] = [];
      for (let k = 0; k < 30; k++) {
        const tag = `/c${c}/k${k}`;
        arrival.push(tag);
        // Callers mix awaited reports with ones fired at once, so batches mix several callers' reports.
        const pending = writer.report(taskId, call(tag, (c * 30 + k) / 300));
        mine.push(pending);
        if (k % 3 === 0) await pending;
        if (k % 7 === 0) await pause(c % 3);
      }
      return Promise.all(mine);
    });
    const results = (await Promise.all(callers)).flat();

    expect(results).toHaveLength(300);
    expect(results.every((r) => r.ok)).toBe(true);
    const events = await storedEvents(taskId);
    expect(events.map((e) => e.seq)).toEqual(seqs(301));
    // The log's order is the order in which report() was called.
    expect(events.slice(1).map(tagOf)).toEqual(arrival);
    for (const r of results) if (r.ok) expect(events[r.event.seq - 1]).toEqual(r.event);
    for (let i = 1; i < events.length; i++) expect(events[i].progress).toBeGreaterThanOrEqual(events[i - 1].progress);
    const last = results.find((r) => seqOf(r) === 301) as Extract<ReportResult, { ok: true }>;
    expect((await store.get(taskId))!.snapshot).toEqual(last.snapshot);

    expect(publisher.published.map((e) => e.seq)).toEqual(seqs(301));
    expect(publisher.notCommitted).toEqual([]);
    expect(failures).toEqual([]);
    // It did batch: fewer transactions than reports, and at least one carried many.
    expect(batches.reduce((n, b) => n + b.reports, 0)).toBe(300);
    expect(batches.length).toBeLessThan(300);
    expect(Math.max(...batches.map((b) => b.reports))).toBeGreaterThan(5);
  });

  it('keeps every task of many interleaved ones in its own order, one snapshot per task matching its last event', async () => {
    const { writer, publisher, batches } = await newWriter({ maxBatch: 64 });
    const tasks = await newTasks(writer, 40);
    const perTask = 15;
    const pending: Promise<ReportResult>[] = [];
    for (let k = 0; k < perTask; k++) for (const t of tasks) pending.push(writer.report(t, call(`/k${k}`, k / perTask)));
    const results = await Promise.all(pending);

    expect(results.every((r) => r.ok)).toBe(true);
    expect(Math.max(...batches.map((b) => b.reports))).toBe(64);
    expect(Math.max(...batches.map((b) => b.tasks))).toBe(40);
    for (const t of tasks) {
      const events = await storedEvents(t);
      expect(events.map((e) => e.seq)).toEqual(seqs(perTask + 1));
      expect(events.slice(1).map(tagOf)).toEqual(seqs(perTask, 0).map((k) => `/k${k}`));
      const snapshot = (await store.get(t))!.snapshot;
      expect(snapshot.seq).toBe(perTask + 1);
      expect(snapshot.messageParams).toEqual(events.at(-1)!.messageParams);
      expect(snapshot.progress).toBe(events.at(-1)!.progress);
      expect(publisher.published.filter((e) => e.taskId === t).map((e) => e.seq)).toEqual(seqs(perTask + 1));
    }
  });

  it('two writers (two processes) on the same tasks: no duplicate or missing seq, no failed batch, each keeps its own order', async () => {
    const a = await newWriter({ maxBatch: 50 });
    const b = await newWriter({ maxBatch: 50 });
    const tasks = await newTasks(a.writer, 20);
    const perWriter = 25;
    const drive = async (w: typeof a, name: string) => {
      const out: Promise<ReportResult>[] = [];
      for (let k = 0; k < perWriter; k++) {
        // Each round visits the tasks in another order, so the two writers' batches hold the same rows in different arrival orders.
        const order = k % 2 === 0 ? tasks : [...tasks].reverse();
        for (const t of order) out.push(w.writer.report(t, call(`/${name}/${k}`, k / perWriter)));
        if (k % 5 === 0) await pause(1);
      }
      return Promise.all(out);
    };
    const [ra, rb] = await Promise.all([drive(a, 'a'), drive(b, 'b')]);

    expect([...ra, ...rb].every((r) => r.ok)).toBe(true);
    expect(a.failures).toEqual([]);
    expect(b.failures).toEqual([]);
    for (const t of tasks) {
      const events = await storedEvents(t);
      expect(events.map((e) => e.seq)).toEqual(seqs(2 * perWriter + 1));
      for (const name of ['a', 'b']) {
        const mine = events.filter((e) => tagOf(e).startsWith(`/${name}/`)).map(tagOf);
        expect(mine).toEqual(seqs(perWriter, 0).map((k) => `/${name}/${k}`));
      }
      expect((await store.get(t))!.snapshot.seq).toBe(2 * perWriter + 1);
    }
    const returned = [...ra, ...rb].map((r) => (r.ok ? `${r.event.taskId}#${r.event.seq}` : ''));
    expect(new Set(returned).size).toBe(returned.length);
  });

  it('locks a batch’s task rows in id order, whatever order its reports arrived in', async () => {
    const { writer } = await newWriter();
    const [low, high] = (await newTasks(writer, 2)).sort();
    const holder = observer.createQueryRunner();
    const probe = observer.createQueryRunner();
    try {
      await holder.startTransaction();
      await holder.query('SELECT 1 FROM tasks WHERE id = $1 FOR UPDATE', [high]);
      // `high` arrives first: a writer locking in arrival order would wait on it holding nothing.
      const pending = writer.reportMany([
        { taskId: high, update: call('/high') },
        { taskId: low, update: call('/low') },
      ]);
      const waitingWriters = async () => {
        const rows = await observer.query(`SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'SELECT *%FROM tasks WHERE id = ANY%FOR NO KEY UPDATE'`);
        return rows.length;
      };
      for (let i = 0; i < 500 && (await waitingWriters()) === 0; i++) await pause(10);
      expect(await waitingWriters()).toBe(1);
      // The batch waits on `high` while already holding `low`.
      await probe.startTransaction();
      await expect(probe.query('SELECT 1 FROM tasks WHERE id = $1 FOR UPDATE NOWAIT', [low])).rejects.toThrow(/could not obtain lock/);
      await probe.rollbackTransaction();
      await holder.rollbackTransaction();
      expect((await pending).map(seqOf)).toEqual([2, 2]);
    } finally {
      await probe.release();
      await holder.release();
    }
  });

  it('a refusal in the middle of a batch answers that report only; its neighbours commit with contiguous seqs', async () => {
    const { writer, batches, publisher } = await newWriter();
    const [t1, t2] = await newTasks(writer, 2);
    const results = await writer.reportMany([
      { taskId: t1, update: call('/one') },
      { taskId: t1, update: { type: 'failed', messageKey: 'task.failed' } },
      { taskId: t2, update: call('/two') },
      { taskId: t1, update: { stage: 'parsing', messageKey: 'parsing.started' } },
      { taskId: randomUUID(), update: call('/nobody') },
      { taskId: 'not-a-uuid', update: call('/nobody') },
      { taskId: t1, update: call('/three') },
      { taskId: t2.toUpperCase(), update: call('/four') },
    ]);
    expect(batches.at(-1)).toMatchObject({ reports: 8, events: 4 });
    expect(results.map((r) => (r.ok ? `${r.event.taskId === t1 ? 't1' : 't2'}#${r.event.seq}` : r.reason))).toEqual([
      't1#2',
      'invalid_update',
      't2#2',
      'stage_order',
      'not_found',
      'not_found',
      't1#3',
      't2#3',
    ]);
    expect((await storedEvents(t1)).map(tagOf).slice(1)).toEqual(['/one', '/three']);
    expect((await storedEvents(t2)).map(tagOf).slice(1)).toEqual(['/two', '/four']);
    expect(publisher.published.filter((e) => e.seq > 1).map(tagOf)).toEqual(['/one', '/two', '/three', '/four']);
  });

  it('a terminal event followed by more reports in the same batch refuses the later ones', async () => {
    const { writer, batches } = await newWriter();
    const [taskId] = await newTasks(writer, 1);
    const results = await Promise.all([
      writer.report(taskId, call('/before')),
      writer.report(taskId, { type: 'completed', messageKey: 'task.completed', messageParams: { caseCount: 1 }, result: RESULT }),
      writer.report(taskId, call('/after')),
      writer.report(taskId, { type: 'cancelled', messageKey: 'task.cancelled' }),
    ]);
    expect(batches.at(-1)).toMatchObject({ reports: 4, events: 2 });
    expect(results.map((r) => (r.ok ? r.event.type : r.reason))).toEqual(['progress', 'completed', 'task_ended', 'task_ended']);
    expect((await storedEvents(taskId)).map((e) => e.type)).toEqual(['progress', 'progress', 'completed']);
    expect((await store.get(taskId))!.snapshot).toMatchObject({ status: 'completed', seq: 3, progress: 100, result: RESULT });
  });

  it('a report the database refuses fails alone: the batch is retried one report per transaction', async () => {
    const { writer, failures, publisher } = await newWriter();
    const [t1, t2] = await newTasks(writer, 2);
    // jsonb cannot store U+0000: this event's insert fails, and with it the whole batch's transaction.
    const poisoned = writer.report(t1, call('/nul\u0000'));
    const others = Promise.all([writer.report(t1, call('/x')), writer.report(t2, call('/y')), writer.report(t1, call('/z'))]);
    await expect(poisoned).rejects.toThrow(/unicode|\\u0000/i);
    const results = await others;

    expect(failures).toHaveLength(1);
    expect(results.map(seqOf)).toEqual([2, 2, 3]);
    expect((await storedEvents(t1)).map(tagOf).slice(1)).toEqual(['/x', '/z']);
    expect((await storedEvents(t2)).map(tagOf).slice(1)).toEqual(['/y']);
    expect(publisher.published.filter((e) => e.seq > 1).map(tagOf)).toEqual(['/x', '/y', '/z']);
  });

  it('close() commits every accepted report before it resolves, then refuses new ones', async () => {
    const { writer } = await newWriter({ maxBatch: 20 });
    const tasks = await newTasks(writer, 5);
    const settled: ReportResult[] = [];
    for (let k = 0; k < 40; k++) for (const t of tasks) void writer.report(t, call(`/k${k}`)).then((r) => settled.push(r));
    await writer.close();
    // Committed before close() resolved: read right away, before anything else can run.
    const [{ n }] = await observer.query('SELECT count(*)::int AS n FROM task_events WHERE task_id = ANY($1::uuid[])', [tasks]);
    expect(n).toBe(5 * 41);
    await new Promise((r) => setImmediate(r));
    expect(settled).toHaveLength(200);
    expect(settled.every((r) => r.ok)).toBe(true);
    for (const t of tasks) expect((await storedEvents(t)).map((e) => e.seq)).toEqual(seqs(41));
    await expect(writer.report(tasks[0], call('/late'))).rejects.toBeInstanceOf(ProgressWriterClosedError);
    expect((await storedEvents(tasks[0])).length).toBe(41);
  });
});
