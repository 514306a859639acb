import { Test } from '@nestjs/testing';
import { TestCase } from '@spectest/contracts';
import { TestDatabase, createTestDatabase } from '@spectest/testing';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { PostgresArtifactStore } from './artifact.store';
import { MIGRATIONS, createDataSource, runMigrations } from './data-source';
import { ARTIFACT_STORE, DatabaseModule } from './database.module';
import { TaskEventEntity } from './entities/task-event.entity';
import { GenerationStore } from './generation.store';
import { TaskStore, decodeCursor } from './task.store';
import { TaskRowOverrides, insertTaskRow } from './testing/task-rows';

jest.setTimeout(20_000);

describe('persistence against a real Postgres', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let store: TaskStore;
  const extra: DataSource[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    // Three "processes" start at once on a fresh database: one migrates, the others wait for it.
    const starters = [1, 2, 3].map(() => createDataSource({ url: db.url, poolSize: 2 }));
    extra.push(...starters);
    await Promise.all(starters.map((s) => s.initialize()));
    const applied = await Promise.all(starters.map((s) => runMigrations(s)));
    expect(applied.flat()).toEqual(MIGRATIONS.map((m) => new m().name));
    ds = starters[0];
    store = new TaskStore(ds);
  });

  const insertTask = (over?: TaskRowOverrides) => insertTaskRow(ds, over);

  afterAll(async () => {
    await Promise.all(extra.filter((s) => s.isInitialized).map((s) => s.destroy()));
    await db?.drop();
  });


  it('runs migrations once across concurrent starters; a second run applies nothing', async () => {
    expect(await runMigrations(ds)).toEqual([]);
    const [{ n }] = await ds.query(`SELECT count(*)::int AS n FROM migrations`);
    expect(n).toBe(MIGRATIONS.length);
  });

  it('scopes a task to its tenant and keeps its spec by id', async () => {
    const { taskId, specId, content } = await insertTask({ tenant: 'acme', idempotencyKey: 'k-1' });
    expect((await store.getForTenant(taskId, 'acme'))?.snapshot.taskId).toBe(taskId);
    expect(await store.getForTenant(taskId, 'globex')).toBeNull();
    const record = await store.get(taskId);
    expect(record).toMatchObject({ specId, options: { formats: ['postman'] }, requestHash: null });
    expect(await store.getSpecContent(specId)).toEqual(content);
    // Read in slices that do not divide the spec evenly, and a slice bigger than the spec: the same bytes.
    expect(await store.getSpecContent(specId, 7)).toEqual(content);
    expect(await store.getSpecContent(specId, content.length + 1)).toEqual(content);
    expect(await store.getSpecContent('00000000-0000-4000-8000-000000000000')).toBeNull();
    expect((await store.findByIdempotencyKey('acme', 'k-1'))?.snapshot.taskId).toBe(taskId);
    expect(await store.findByIdempotencyKey('globex', 'k-1')).toBeNull();
    // One idempotency key per tenant.
    await expect(insertTask({ tenant: 'acme', idempotencyKey: 'k-1' })).rejects.toThrow();
    await expect(insertTask({ tenant: 'globex', idempotencyKey: 'k-1' })).resolves.toBeDefined();
  });

  it('lists newest first with a keyset cursor that neither skips nor repeats tasks created at the same instant', async () => {
    const tenant = `list-${randomUUID().slice(0, 8)}`;
    const base = Date.parse('2025-01-01T00:00:00.000Z');
    const ids: { taskId: string; createdAt: number }[] = [];
    for (let i = 0; i < 13; i++) {
      // Groups of three share a timestamp: the id breaks the tie.
      const createdAt = new Date(base + Math.floor(i / 3) * 1000);
      const { taskId } = await insertTask({ tenant, createdAt, status: i % 4 === 0 ? 'completed' : 'queued' });
      ids.push({ taskId, createdAt: createdAt.getTime() });
    }
    await insertTask({ tenant: 'someone-else' });
    const expected = [...ids].sort((a, b) => b.createdAt - a.createdAt || (a.taskId < b.taskId ? 1 : -1)).map((t) => t.taskId);

    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page: Awaited<ReturnType<TaskStore['list']>> = await store.list(tenant, { limit: 4, cursor: cursor ? decodeCursor(cursor) : null });
      seen.push(...page.items.map((s) => s.taskId));
      cursor = page.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    expect(seen).toEqual(expected);
    expect(pages).toBe(4);

    const completed = await store.list(tenant, { limit: 50, status: 'completed' });
    expect(completed.items.map((s) => s.taskId)).toEqual(expected.filter((id) => ids.findIndex((t) => t.taskId === id) % 4 === 0));
    expect(completed.nextCursor).toBeNull();

    expect(decodeCursor('not-a-cursor')).toBeNull();
    expect(decodeCursor(Buffer.from(JSON.stringify({ c: 'yesterday', i: 'x' })).toString('base64url'))).toBeNull();
  });

  it('counts and finds active, overdue and stale queued tasks', async () => {
    const tenant = `ops-${randomUUID().slice(0, 8)}`;
    const past = new Date(Date.now() - 3_600_000);
    const overdue = await insertTask({ tenant, createdAt: past, deadlineAt: new Date(Date.now() - 1000), status: 'running', seq: 5 });
    const queued = await insertTask({ tenant, createdAt: past, seq: 1 });
    const fresh = await insertTask({ tenant, seq: 1 });
    await insertTask({ tenant, createdAt: past, deadlineAt: new Date(Date.now() - 1000), status: 'completed', seq: 9 });
    expect(await store.countActive(tenant)).toBe(3);
    const overdueIds = await store.findOverdue(new Date());
    expect(overdueIds).toContain(overdue.taskId);
    expect(overdueIds).not.toContain(fresh.taskId);
    const active = (await store.findActive()).map((r) => r.id);
    expect(active).toEqual(expect.arrayContaining([overdue.taskId, queued.taskId, fresh.taskId]));
  });

  it('reads events in seq order after afterSeq, bounded by limit and uptoSeq', async () => {
    const { taskId } = await insertTask();
    const rows = [5, 1, 3, 2, 4].map((seq) => ({ taskId, seq, type: 'progress', payload: { taskId, seq }, createdAt: new Date() }));
    await ds.getRepository(TaskEventEntity).insert(rows);
    const seqs = async (after: number, limit: number, upto?: number) => (await store.readEvents(taskId, after, limit, upto)).map((e) => e.seq);
    expect(await seqs(0, 100)).toEqual([1, 2, 3, 4, 5]);
    expect(await seqs(2, 100)).toEqual([3, 4, 5]);
    expect(await seqs(0, 2)).toEqual([1, 2]);
    expect(await seqs(1, 100, 3)).toEqual([2, 3]);
    expect(await seqs(5, 100)).toEqual([]);
    // (task_id, seq) is unique: a second writer can never store the same seq.
    await expect(ds.getRepository(TaskEventEntity).insert({ ...rows[0] })).rejects.toThrow();
  });

  it('saves the document and replaces the cases of one source without touching the others', async () => {
    const gen = new GenerationStore(ds);
    const { taskId } = await insertTask();
    expect(await gen.loadDocument(taskId)).toBeNull();
    const doc = { title: 'Pets', version: '1', openapiVersion: '3.0.3', document: { openapi: '3.0.3' }, endpoints: [], warnings: ['w'] };
    await gen.saveDocument(taskId, doc);
    await gen.saveDocument(taskId, { ...doc, version: '2' });
    expect(await gen.loadDocument(taskId)).toEqual({ ...doc, version: '2' });

    const mk = (source: TestCase['source'], i: number) => ({ id: `${source}-${i}`, source, endpoint: 'GET /pets', name: `case ${i}` }) as unknown as TestCase;
    const foundation = Array.from({ length: 1_203 }, (_, i) => mk('foundation', i));
    await gen.replaceCases(taskId, 'foundation', foundation);
    await gen.replaceCases(taskId, 'ai', [mk('ai', 0), mk('ai', 1)], foundation.length);
    // A redelivered stage rewrites its own rows instead of adding duplicates.
    await gen.replaceCases(taskId, 'ai', [mk('ai', 0), mk('ai', 1)], foundation.length);
    const cases = await gen.loadCases(taskId);
    expect(cases).toHaveLength(1_205);
    expect(cases.map((c) => c.id)).toEqual([...foundation.map((c) => c.id), 'ai-0', 'ai-1']);
  });

  it('DatabaseModule builds a migrated DataSource with its stores and closes it on shutdown', async () => {
    const mod = await Test.createTestingModule({ imports: [DatabaseModule.forRoot({ url: db.url, poolSize: 2, migrate: true })] }).compile();
    const app = mod.createNestApplication();
    await app.init();
    const moduleDs = app.get(DataSource);
    expect(moduleDs.isInitialized).toBe(true);
    expect(app.get(TaskStore)).toBeInstanceOf(TaskStore);
    expect(app.get(GenerationStore)).toBeInstanceOf(GenerationStore);
    expect(app.get(ARTIFACT_STORE)).toBeInstanceOf(PostgresArtifactStore);
    await app.close();
    expect(moduleDs.isInitialized).toBe(false);
  });
});
