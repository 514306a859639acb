import { Test } from '@nestjs/testing';
import { ConfigError, commonEnvShape, metricsRegistry, parseConfig } from '@spectest/platform';
import { InProcessMessaging, MessagingModule } from '@spectest/messaging';
import { DatabaseModule, TaskStore, createDataSource } from '@spectest/persistence';
import { TestDatabase, createTestDatabase } from '@spectest/testing';
import { DataSource } from 'typeorm';
import { z } from 'zod';
import { DEFAULT_PROGRESS_BATCH_MAX } from './progress.config';
import { ProgressModule } from './progress.module';
import { ProgressWriter, ReportResult } from './progress.writer';
import { sampleTaskInput } from '../../../tests/support/task-input';

/** Sum of a histogram's `_count` (or a counter's value) in the process registry; 0 before first use. */
const metricTotal = async (name: string): Promise<number> => {
  const metric = metricsRegistry.getSingleMetric(name);
  if (!metric) return 0;
  const { values } = await metric.get();
  return values.filter((v) => !('metricName' in v) || v.metricName === undefined || v.metricName === `${name}_count`).reduce((n, v) => n + v.value, 0);
};

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

jest.setTimeout(30_000);

describe('ProgressModule', () => {
  let db: TestDatabase;
  let observer: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase();
  });

  afterAll(async () => {
    if (observer?.isInitialized) await observer.destroy();
    await db?.drop();
  });

  it('on application shutdown commits every report still queued before the pool closes', async () => {
    const messaging = new InProcessMessaging({ logger: quiet });
    // The modules in the order every service composes them (libs/runtime infrastructureImports).
    const ref = await Test.createTestingModule({
      imports: [DatabaseModule.forRoot({ url: db.url, poolSize: 2, migrate: true }), MessagingModule.forRoot(messaging), ProgressModule.forRoot({ maxBatch: DEFAULT_PROGRESS_BATCH_MAX })],
    }).compile();
    ref.useLogger(false);
    await ref.init();
    const writer = ref.get(ProgressWriter);
    const ds = ref.get(DataSource);
    const tasks = [];
    for (let i = 0; i < 3; i++) tasks.push((await writer.createTask(sampleTaskInput())).snapshot.taskId);

    const batchesBefore = await metricTotal('spectest_progress_batch_size');
    const eventsBefore = await metricTotal('spectest_events_written_total');
    const answers: Promise<ReportResult>[] = [];
    for (let k = 0; k < 100; k++) {
      for (const t of tasks) answers.push(writer.report(t, { stage: 'parsing', stageProgress: k / 100, messageKey: 'parsing.started' }));
    }
    await ref.close();

    expect(ds.isInitialized).toBe(false);
    expect((await Promise.all(answers)).every((r) => r.ok)).toBe(true);
    // The process registry (GET /metrics) counts the batches and the events: fewer batches than reports.
    const batches = (await metricTotal('spectest_progress_batch_size')) - batchesBefore;
    expect(batches).toBeGreaterThan(0);
    expect(batches).toBeLessThan(300);
    expect((await metricTotal('spectest_events_written_total')) - eventsBefore).toBe(300);
    observer = createDataSource({ url: db.url, poolSize: 1 });
    await observer.initialize();
    const store = new TaskStore(observer);
    for (const t of tasks) expect((await store.readEvents(t, 0, 1000)).map((e) => e.seq)).toEqual(Array.from({ length: 101 }, (_, i) => i + 1));
    await expect(writer.report(tasks[0], { stage: 'parsing', messageKey: 'parsing.started' })).rejects.toMatchObject({ code: 'writer_closed' });
    await messaging.close();
  });

  it('commits at most forRoot maxBatch reports per transaction', async () => {
    const messaging = new InProcessMessaging({ logger: quiet });
    const ref = await Test.createTestingModule({
      imports: [DatabaseModule.forRoot({ url: db.url, poolSize: 2, migrate: true }), MessagingModule.forRoot(messaging), ProgressModule.forRoot({ maxBatch: 1 })],
    }).compile();
    ref.useLogger(false);
    await ref.init();
    const writer = ref.get(ProgressWriter);
    const taskId = (await writer.createTask(sampleTaskInput())).snapshot.taskId;
    const batchesBefore = await metricTotal('spectest_progress_batch_size');
    const answers: Promise<ReportResult>[] = [];
    for (let k = 0; k < 20; k++) answers.push(writer.report(taskId, { stage: 'parsing', stageProgress: k / 20, messageKey: 'parsing.started' }));
    expect((await Promise.all(answers)).every((r) => r.ok)).toBe(true);
    expect((await metricTotal('spectest_progress_batch_size')) - batchesBefore).toBe(20);
    await ref.close();
    await messaging.close();
  });

  it('PROGRESS_BATCH_MAX is part of every service config: defaults to 500, a bad value is a ConfigError naming it', () => {
    const schema = z.object(commonEnvShape);
    const env = { DATABASE_URL: 'postgres://127.0.0.1/x' };
    expect(parseConfig(schema, env).PROGRESS_BATCH_MAX).toBe(DEFAULT_PROGRESS_BATCH_MAX);
    expect(DEFAULT_PROGRESS_BATCH_MAX).toBe(500);
    expect(parseConfig(schema, { ...env, PROGRESS_BATCH_MAX: '1' }).PROGRESS_BATCH_MAX).toBe(1);
    for (const bad of ['0', 'many', '2.5', '100000']) {
      expect(() => parseConfig(schema, { ...env, PROGRESS_BATCH_MAX: bad })).toThrow(ConfigError);
      expect(() => parseConfig(schema, { ...env, PROGRESS_BATCH_MAX: bad })).toThrow(/PROGRESS_BATCH_MAX/);
    }
  });
});
