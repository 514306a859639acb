import { Logger } from '@nestjs/common';
import { TaskEvent, TaskSnapshot, TestCase } from '@spectest/contracts';
import { ArtifactStore, GenerationStore, PostgresArtifactStore, TaskStore, createDataSource, runMigrations } from '@spectest/persistence';
import { ProgressWriter } from '@spectest/progress';
import { runAsStage } from '../../../libs/progress/src/testing/stage-run.harness';
import { readSpec, stopSpecValidator } from '@spectest/openapi';
import { buildFoundationCases } from '@spectest/cases';
import { TestDatabase, createTestDatabase } from '@spectest/testing';
import { createHash, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { readZipEntries } from '../../../tests/support/generated-suite';
import { PackagerConfig } from './packager.config';
import { PackagerService } from './packager.service';

jest.setTimeout(30_000);

/**
 * The packaging stage against a real Postgres: tasks brought to the packaging stage through the real event
 * writer (with a fixed clock, so two runs have the same stage timings), then packaged through the streaming
 * path into the real artifact store.
 */
describe('PackagerService', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let writer: ProgressWriter;
  let tasks: TaskStore;
  let generation: GenerationStore;
  let store: ArtifactStore;
  let packager: PackagerService;
  let document: Record<string, unknown>;
  let cases: TestCase[];
  const clock = () => new Date('2026-01-02T03:04:05.000Z');

  beforeAll(async () => {
    Logger.overrideLogger(false);
    db = await createTestDatabase();
    ds = createDataSource({ url: db.url, poolSize: 6 });
    await ds.initialize();
    await runMigrations(ds);
    writer = new ProgressWriter(ds, { publishEvent: async () => undefined }, { clock });
    tasks = new TaskStore(ds);
    generation = new GenerationStore(ds);
    // Small chunks, so even petstore's ZIP is stored and served in several.
    store = new PostgresArtifactStore(ds, { chunkBytes: 4096 });
    packager = new PackagerService(tasks, generation, store, { PUBLIC_BASE_URL: undefined } as PackagerConfig);
    const spec = await readSpec(readFileSync(join(__dirname, '..', '..', '..', 'tests', 'fixtures', 'petstore.yaml')));
    document = spec.document as Record<string, unknown>;
    cases = spec.endpoints.flatMap((endpoint) => buildFoundationCases(spec, endpoint));
  });

  afterAll(async () => {
    stopSpecValidator();
    await writer?.close();
    if (ds?.isInitialized) await ds.destroy();
    await db?.drop();
    Logger.overrideLogger(['log', 'error', 'warn']);
  });

  /** A task as the earlier stages leave it: document and cases stored, parsing and foundation done, enhancing skipped. */
  async function taskAtPackaging(): Promise<string> {
    const taskId = randomUUID();
    const spec = Buffer.from('{}');
    await writer.createTask({
      taskId,
      tenant: 'acme',
      name: 'petstore',
      createdAt: clock(),
      deadlineAt: new Date(clock().getTime() + 600_000),
      options: { ai: { provider: 'none' } },
      spec: { id: randomUUID(), content: spec, sha256: createHash('sha256').update(spec).digest('hex') },
      idempotencyKey: null,
      requestHash: null,
    });
    await generation.saveDocument(taskId, { title: 'Petstore', version: '1.0.0', openapiVersion: '3.0.3', document, endpoints: [], warnings: [] });
    await generation.replaceCases(taskId, 'foundation', cases);
    const steps: Parameters<ProgressWriter['report']>[1][] = [
      { stage: 'parsing', messageKey: 'parsing.started', stageProgress: 0 },
      { stage: 'parsing', stageStatus: 'done', messageKey: 'parsing.done', messageParams: { endpointCount: 3, title: 'Petstore', version: '1.0.0' } },
      { stage: 'foundation', stageStatus: 'done', messageKey: 'foundation.done', messageParams: { count: cases.length } },
      { stage: 'enhancing', stageStatus: 'skipped', messageKey: 'enhancing.skipped', messageParams: { reason: 'provider none' } },
    ];
    for (const update of steps) {
      const result = await writer.report(taskId, update);
      if (!result.ok) throw new Error(`${update.messageKey}: ${result.detail}`);
    }
    return taskId;
  }

  const eventsOf = async (taskId: string): Promise<TaskEvent[]> => tasks.readEvents(taskId, 0, 1000);
  const pack = (taskId: string) => runAsStage(ds, writer, 'package', taskId, (run) => packager.run(run));
  const snapshotOf = async (taskId: string): Promise<TaskSnapshot> => (await tasks.get(taskId))!.snapshot;
  const served = async (taskId: string): Promise<Buffer> => {
    const chunks: Buffer[] = [];
    for await (const chunk of (await store.open(taskId))!.content) chunks.push(chunk as Buffer);
    return Buffer.concat(chunks);
  };

  it('packages the same inputs into byte-identical ZIPs through the streaming path; the stored hash is the served bytes', async () => {
    const first = await taskAtPackaging();
    const second = await taskAtPackaging();
    await pack(first);
    await pack(second);
    const [a, b] = [await snapshotOf(first), await snapshotOf(second)];
    expect(a.status).toBe('completed');
    expect(b.status).toBe('completed');
    expect(a.result!.artifact.sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(b.result!.artifact).toEqual({ ...a.result!.artifact, url: `/v1/tasks/${second}/artifact` });
    expect(a.result!.caseCount).toBe(cases.length);
    for (const taskId of [first, second]) {
      const bytes = await served(taskId);
      expect(bytes.length).toBe(a.result!.artifact.bytes);
      expect(createHash('sha256').update(bytes).digest('hex')).toBe(a.result!.artifact.sha256);
      expect(await store.head(taskId)).toEqual({ bytes: a.result!.artifact.bytes, sha256: a.result!.artifact.sha256 });
    }
    const [{ n }] = await ds.query('SELECT count(*)::int AS n FROM artifact_chunks WHERE task_id = $1', [first]);
    expect(n).toBe(Math.ceil(a.result!.artifact.bytes / 4096));
    const names = [...(await readZipEntries(await served(first))).keys()];
    expect(names).toEqual([...names].sort());
    expect(names).toEqual(expect.arrayContaining(['REPORT.md', 'cases.json', 'openapi.json', 'postman/collection.json', 'tests/package.json']));
  });

  it('reports files and bytes while zipping, then the stored size, then completes', async () => {
    const taskId = await taskAtPackaging();
    await pack(taskId);
    const events = (await eventsOf(taskId)).filter((e) => e.stage === 'packaging');
    const keys = events.map((e) => e.messageKey);
    expect(keys[0]).toBe('packaging.started');
    expect(keys.slice(-2)).toEqual(['packaging.done', 'task.completed']);
    const zipping = events.filter((e) => e.messageKey === 'packaging.zip');
    expect(zipping[0].messageParams).toMatchObject({ files: 0, bytes: 0 });
    const totalFiles = zipping[0].messageParams!.totalFiles as number;
    expect(totalFiles).toBeGreaterThan(5);
    const files = zipping.map((e) => e.messageParams!.files as number);
    expect(files).toEqual([...files].sort((x, y) => x - y));
    expect(files.every((f) => f <= totalFiles)).toBe(true);
    const done = events.find((e) => e.messageKey === 'packaging.done')!;
    const snapshot = await snapshotOf(taskId);
    expect(done.messageParams).toEqual({ files: totalFiles, bytes: snapshot.result!.artifact.bytes });
  });

  it('does nothing for a redelivered message once the task has completed', async () => {
    const taskId = await taskAtPackaging();
    await pack(taskId);
    const before = { events: (await eventsOf(taskId)).length, head: await store.head(taskId) };
    await pack(taskId);
    expect((await eventsOf(taskId)).length).toBe(before.events);
    expect(await store.head(taskId)).toEqual(before.head);
  });

  it('only writes the terminal event when redelivered after the ZIP was stored (the run died before its completion)', async () => {
    const done = await taskAtPackaging();
    await pack(done);
    const zip = await served(done);
    const taskId = await taskAtPackaging();
    // As if an earlier run stored the whole ZIP (a put is all or nothing) and died before its terminal event.
    const stored = await store.put(taskId, [zip]);
    const eventsBefore = (await eventsOf(taskId)).length;
    await pack(taskId);
    const snapshot = await snapshotOf(taskId);
    expect(snapshot.status).toBe('completed');
    expect(snapshot.result).toEqual({ caseCount: cases.length, foundationCaseCount: cases.length, aiCaseCount: 0, artifact: { url: `/v1/tasks/${taskId}/artifact`, ...stored } });
    const events = await eventsOf(taskId);
    expect(events.slice(eventsBefore).map((e) => e.messageKey)).toEqual(['task.completed']);
    expect(await store.head(taskId)).toEqual(stored);
  });

  it('stops zipping and stores nothing when the task ends (cancelled) during packaging', async () => {
    const taskId = await taskAtPackaging();
    let refusedAt!: () => void;
    const refused = new Promise<void>((resolve) => (refusedAt = resolve));
    /** The first packaging.zip answer comes late, so the next file's progress is due (not coalesced); just before it the task is cancelled. */
    class CancellingWriter extends ProgressWriter {
      filesAtCancel = 0;
      override async report(id: string, update: Parameters<ProgressWriter['report']>[1]) {
        if (update.messageKey === 'packaging.zip' && update.messageParams?.files === 0) {
          const result = await super.report(id, update);
          await new Promise((r) => setTimeout(r, 300));
          return result;
        }
        if (update.messageKey !== 'packaging.zip') return super.report(id, update);
        this.filesAtCancel = update.messageParams!.files as number;
        await super.report(id, { type: 'cancelled', messageKey: 'task.cancelled' });
        const result = await super.report(id, update);
        refusedAt();
        return result;
      }
    }
    const cancelling = new CancellingWriter(ds, { publishEvent: async () => undefined }, { clock });
    // The real store, reading the ZIP no further than its first chunk until the refusal has been answered.
    async function* heldBack(source: AsyncIterable<Uint8Array> | Iterable<Uint8Array>): AsyncGenerator<Uint8Array> {
      let first = true;
      for await (const chunk of source) {
        yield chunk;
        if (first) {
          first = false;
          await refused;
          await new Promise((r) => setImmediate(r));
        }
      }
    }
    const gated: ArtifactStore = { put: (id, source) => store.put(id, heldBack(source)), head: (id) => store.head(id), open: (id) => store.open(id) };
    const service = new PackagerService(tasks, generation, gated, { PUBLIC_BASE_URL: undefined } as PackagerConfig);
    await runAsStage(ds, cancelling, 'package', taskId, (run) => service.run(run));
    await cancelling.close();
    expect(cancelling.filesAtCancel).toBeGreaterThan(0);
    expect((await snapshotOf(taskId)).status).toBe('cancelled');
    expect(await store.head(taskId)).toBeNull();
    const [{ n }] = await ds.query('SELECT count(*)::int AS n FROM artifact_chunks WHERE task_id = $1', [taskId]);
    expect(n).toBe(0);
    expect((await eventsOf(taskId)).at(-1)!.type).toBe('cancelled');
  });
});
