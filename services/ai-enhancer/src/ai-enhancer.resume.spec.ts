import { Logger } from '@nestjs/common';
import { ProgressUpdate } from '@spectest/contracts';
import { InProcessMessaging } from '@spectest/messaging';
import { AiUsageStore, EnhancementCheckpointStore, GenerationStore, TaskStore } from '@spectest/persistence';
import { ProgressWriter, ReportFence, ReportResult } from '@spectest/progress';
import { readSpec, stopSpecValidator } from '@spectest/openapi';
import { buildFoundationCases } from '@spectest/cases';
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { StageTestDatabase, runAsStage, startStageTestDatabase } from '../../../libs/progress/src/testing/stage-run.harness';
import { FakeModelServer, startFakeModelServer } from '../../../tests/support/fake-model-server';
import { AiEnhancerConfigSchema } from './ai-enhancer.config';
import { AiEnhancerService } from './ai-enhancer.service';
import { TaskAbortRegistry } from './task-abort.registry';

jest.setTimeout(30_000);

/** A writer whose process "dies" at a chosen report: that report and every later one fail. */
class DyingWriter extends ProgressWriter {
  dead = false;
  constructor(
    ds: DataSource,
    private readonly diesAt: (update: ProgressUpdate) => boolean,
  ) {
    super(ds, { publishEvent: async () => undefined });
  }
  override async report(taskId: string, update: ProgressUpdate, fence?: ReportFence): Promise<ReportResult> {
    if (this.dead || this.diesAt(update)) {
      this.dead = true;
      throw new Error('the process died');
    }
    return super.report(taskId, update, fence);
  }
}

/**
 * The enhancing stage resumes from its checkpoint: a run that dies mid-stage costs only the endpoint in
 * flight (one more model call), and the tenant is charged exactly the tokens the task's results used.
 */
describe('AiEnhancerService: a stage that dies and resumes', () => {
  let stageDb: StageTestDatabase;
  let ds: DataSource;
  let model: FakeModelServer;
  let writer: ProgressWriter;
  let tasks: TaskStore;
  let generation: GenerationStore;

  beforeAll(async () => {
    Logger.overrideLogger(false);
    [stageDb, model] = await Promise.all([startStageTestDatabase(), startFakeModelServer({ tokensPerSecond: 5000 })]);
    ({ ds, writer } = stageDb);
    tasks = new TaskStore(ds);
    generation = new GenerationStore(ds);
  });
  afterAll(async () => {
    await stopSpecValidator();
    await Promise.all([stageDb?.close(), model?.close()]);
    Logger.overrideLogger(['log', 'error', 'warn']);
  });

  /** A task as the spec-parser leaves it: document, endpoints and foundation cases stored, foundation done. */
  async function taskAtEnhancing(tenant: string): Promise<string> {
    const taskId = randomUUID();
    const raw = readFileSync(join(__dirname, '..', '..', '..', 'tests', 'fixtures', 'petstore.yaml'));
    await writer.createTask({
      taskId,
      tenant,
      name: 'petstore',
      createdAt: new Date(),
      deadlineAt: new Date(Date.now() + 600_000),
      options: { ai: { provider: 'ollama' } },
      spec: { id: randomUUID(), content: raw, sha256: createHash('sha256').update(raw).digest('hex') },
      idempotencyKey: null,
      requestHash: null,
    });
    const spec = await readSpec(raw);
    await generation.saveDocument(taskId, { ...spec, document: spec.document as Record<string, unknown> });
    await generation.replaceCases(taskId, 'foundation', spec.endpoints.flatMap((e) => buildFoundationCases(spec, e)));
    for (const update of [
      { stage: 'parsing', stageStatus: 'done', messageKey: 'parsing.done', messageParams: { endpointCount: 3, title: 't', version: '1' } },
      { stage: 'foundation', stageStatus: 'done', messageKey: 'foundation.done', messageParams: { count: 1 } },
    ] as ProgressUpdate[]) {
      const result = await writer.report(taskId, update);
      if (!result.ok) throw new Error(result.detail);
    }
    return taskId;
  }

  const enhancerWith = (w: ProgressWriter, messaging: InProcessMessaging) =>
    new AiEnhancerService(
      tasks,
      generation,
      new AiUsageStore(ds),
      new EnhancementCheckpointStore(ds),
      new TaskAbortRegistry(messaging),
      AiEnhancerConfigSchema.parse({ DATABASE_URL: 'postgres://unused', OLLAMA_URL: model.url, AI_CONCURRENCY: '1' }),
    );

  it('redoes only the endpoint in flight, and charges the tenant the tokens of the stored results once', async () => {
    const tenant = `resume-${randomUUID().slice(0, 8)}`;
    const taskId = await taskAtEnhancing(tenant);
    const firstCall = model.requests.length;
    const messaging = new InProcessMessaging();
    // Dies while parsing the second endpoint's answer: its call is over, its result not stored.
    let parsingReports = 0;
    const dying = new DyingWriter(ds, (u) => u.messageKey === 'enhancing.parsing' && ++parsingReports === 2);
    await expect(runAsStage(ds, dying, 'enhance', taskId, (run) => enhancerWith(dying, messaging).run(run), messaging)).rejects.toThrow('the process died');
    await dying.close();

    await runAsStage(ds, writer, 'enhance', taskId, (run) => enhancerWith(writer, messaging).run(run), messaging);
    const snapshot = (await tasks.get(taskId))!.snapshot;
    expect(snapshot.stages.find((s) => s.name === 'enhancing')!.status).toBe('done');
    const calls = model.requests.slice(firstCall).map((r) => r.operation);
    // Three endpoints, one of them in flight when the first run died: four calls, that one twice.
    expect(calls).toHaveLength(4);
    expect(new Set(calls).size).toBe(3);
    const [{ tokens }] = await ds.query('SELECT tokens FROM tenant_token_usage WHERE tenant = $1', [tenant]);
    expect(Number(tokens)).toBe(snapshot.tokens.total);
    const [{ n }] = await ds.query(`SELECT count(*)::int AS n FROM task_cases WHERE task_id = $1 AND source = 'ai'`, [taskId]);
    expect(n).toBeGreaterThan(0);
    // The resumed run went on from where the first stood: its first event does not start the count again.
    const started = (await tasks.readEvents(taskId, 0, 1000)).filter((e) => e.messageKey === 'enhancing.started');
    expect(started.map((e) => e.currentEndpoint)).toEqual([0, 1]);
    await messaging.close();
  });
});
