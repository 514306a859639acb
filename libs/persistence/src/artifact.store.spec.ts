import { TestDatabase, createTestDatabase } from '@spectest/testing';
import { createHash, randomBytes } from 'node:crypto';
import { DataSource } from 'typeorm';
import { ArtifactChangedError, PostgresArtifactStore } from './artifact.store';
import { MIGRATIONS, createDataSource, runMigrations } from './data-source';
import { ArtifactChunks1795564800000 } from './migrations/1795564800000-artifact-chunks';
import { insertTaskRow } from './testing/task-rows';

const insertTask = async (ds: DataSource): Promise<string> => (await insertTaskRow(ds)).taskId;

jest.setTimeout(30_000);

const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

async function readAll(stream: AsyncIterable<unknown>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stream) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/** `bytes` in pieces of `piece` bytes, pausing before each until `gate` (if any) lets it go. */
async function* pieces(bytes: Buffer, piece: number, gate?: (index: number) => Promise<void>): AsyncGenerator<Buffer> {
  for (let i = 0, n = 0; i < bytes.length; i += piece, n++) {
    await gate?.(n);
    yield bytes.subarray(i, i + piece);
  }
}


describe('PostgresArtifactStore against a real Postgres', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let store: PostgresArtifactStore;

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = createDataSource({ url: db.url, poolSize: 4 });
    await ds.initialize();
    await runMigrations(ds);
    store = new PostgresArtifactStore(ds, { chunkBytes: 1000 });
  });

  afterAll(async () => {
    if (ds?.isInitialized) await ds.destroy();
    await db?.drop();
  });

  const chunkRows = async (taskId: string) =>
    (await ds.query('SELECT seq, length(data)::int AS n FROM artifact_chunks WHERE task_id = $1 ORDER BY seq', [taskId])) as { seq: number; n: number }[];

  it('stores a stream in chunks with its size and sha256, and reads it back as a stream', async () => {
    const taskId = await insertTask(ds);
    expect(await store.head(taskId)).toBeNull();
    expect(await store.open(taskId)).toBeNull();
    const zip = randomBytes(4_321);
    expect(await store.put(taskId, pieces(zip, 333))).toEqual({ bytes: zip.length, sha256: sha(zip) });
    expect((await chunkRows(taskId)).map((r) => r.n)).toEqual([1000, 1000, 1000, 1000, 321]);
    expect(await store.head(taskId)).toEqual({ bytes: zip.length, sha256: sha(zip) });
    const opened = await store.open(taskId);
    expect(opened).toMatchObject({ bytes: zip.length, sha256: sha(zip) });
    expect((await readAll(opened!.content)).equals(zip)).toBe(true);
  });

  it('replaces the artifact of a task idempotently (a redelivered message), one row and only the new chunks', async () => {
    const taskId = await insertTask(ds);
    const first = randomBytes(2_500);
    await store.put(taskId, [first]);
    await store.put(taskId, [first]);
    expect((await readAll((await store.open(taskId))!.content)).equals(first)).toBe(true);
    const second = Buffer.from('other bytes');
    expect(await store.put(taskId, [second])).toEqual({ bytes: second.length, sha256: sha(second) });
    expect((await readAll((await store.open(taskId))!.content)).equals(second)).toBe(true);
    expect(await chunkRows(taskId)).toEqual([{ seq: 0, n: second.length }]);
    const [{ n }] = await ds.query('SELECT count(*)::int AS n FROM artifacts WHERE task_id = $1', [taskId]);
    expect(n).toBe(1);
  });

  it('serves the old artifact while a new one is being written, and the new one only once complete', async () => {
    const taskId = await insertTask(ds);
    const old = randomBytes(1_500);
    await store.put(taskId, [old]);
    const next = randomBytes(3_000);
    let release!: () => void;
    const halfway = new Promise<void>((resolve) => (release = resolve));
    let reachedHalf!: () => void;
    const atHalf = new Promise<void>((resolve) => (reachedHalf = resolve));
    const writing = store.put(taskId, pieces(next, 500, async (i) => {
      if (i === 3) {
        reachedHalf();
        await halfway;
      }
    }));
    await atHalf;
    expect(await store.head(taskId)).toEqual({ bytes: old.length, sha256: sha(old) });
    expect((await readAll((await store.open(taskId))!.content)).equals(old)).toBe(true);
    // The task row is not locked meanwhile: the event writer (FOR UPDATE) can report this packaging's progress.
    await ds.transaction(async (m) => {
      await m.query('SELECT id FROM tasks WHERE id = $1 FOR UPDATE NOWAIT', [taskId]);
    });
    release();
    await writing;
    expect((await readAll((await store.open(taskId))!.content)).equals(next)).toBe(true);
  });

  it('keeps the old artifact when the stream fails midway', async () => {
    const taskId = await insertTask(ds);
    const old = randomBytes(2_000);
    await store.put(taskId, [old]);
    async function* failing(): AsyncGenerator<Buffer> {
      yield randomBytes(1_500);
      throw new Error('zip failed');
    }
    await expect(store.put(taskId, failing())).rejects.toThrow('zip failed');
    expect(await store.head(taskId)).toEqual({ bytes: old.length, sha256: sha(old) });
    expect((await readAll((await store.open(taskId))!.content)).equals(old)).toBe(true);
    expect((await chunkRows(taskId)).map((r) => r.n)).toEqual([1000, 1000]);
  });

  it('stops a reader whose artifact is replaced under it instead of mixing two versions', async () => {
    const reader = new PostgresArtifactStore(ds, { chunkBytes: 1000, readBatch: 1 });
    const taskId = await insertTask(ds);
    await reader.put(taskId, [randomBytes(5_000)]);
    const opened = (await reader.open(taskId))!;
    const iterator = opened.content[Symbol.asyncIterator]();
    expect(((await iterator.next()).value as Buffer).length).toBe(1000);
    await reader.put(taskId, [randomBytes(5_000)]);
    await expect((async () => { for (;;) if ((await iterator.next()).done) return; })()).rejects.toBeInstanceOf(ArtifactChangedError);
  });

  it('lets two writers of the same task take turns; the stored bytes are whole and match the stored hash', async () => {
    const taskId = await insertTask(ds);
    const a = randomBytes(3_500);
    const b = randomBytes(2_200);
    const [ra, rb] = await Promise.all([store.put(taskId, pieces(a, 700)), store.put(taskId, pieces(b, 700))]);
    const head = await store.head(taskId);
    expect([ra, rb]).toContainEqual(head);
    const served = await readAll((await store.open(taskId))!.content);
    expect(sha(served)).toBe(head!.sha256);
  });

  it('goes away with its task', async () => {
    const taskId = await insertTask(ds);
    await store.put(taskId, [randomBytes(2_000)]);
    await ds.query('DELETE FROM tasks WHERE id = $1', [taskId]);
    expect(await store.head(taskId)).toBeNull();
    expect(await chunkRows(taskId)).toEqual([]);
  });
});

describe('the artifact-chunks migration', () => {
  let db: TestDatabase;
  const sources: DataSource[] = [];
  afterAll(async () => {
    await Promise.all(sources.filter((s) => s.isInitialized).map((s) => s.destroy()));
    await db?.drop();
  });

  it('moves artifacts stored whole (bytea) into chunks that the store serves, and back on revert', async () => {
    db = await createTestDatabase();
    const before = createDataSource({ url: db.url, poolSize: 2 });
    sources.push(before);
    // The schema as it was: every migration before this one.
    const chunks = MIGRATIONS.indexOf(ArtifactChunks1795564800000);
    (before.options as { migrations: unknown[] }).migrations = MIGRATIONS.slice(0, chunks);
    await before.initialize();
    await before.runMigrations();
    const big = randomBytes(2_500_000);
    const small = Buffer.from('PK small');
    const ids = [await insertTask(before), await insertTask(before), await insertTask(before)];
    const stored = [big, small, Buffer.alloc(0)];
    for (const [i, taskId] of ids.entries()) {
      await before.query('INSERT INTO artifacts (task_id, bytes, sha256, content) VALUES ($1, $2, $3, $4)', [taskId, stored[i].length, sha(stored[i]), stored[i]]);
    }
    await before.destroy();

    const after = createDataSource({ url: db.url, poolSize: 2 });
    sources.push(after);
    (after.options as { migrations: unknown[] }).migrations = MIGRATIONS.slice(0, chunks + 1);
    await after.initialize();
    expect(await runMigrations(after)).toEqual([new ArtifactChunks1795564800000().name]);
    const store = new PostgresArtifactStore(after);
    for (const [i, taskId] of ids.entries()) {
      expect(await store.head(taskId)).toEqual({ bytes: stored[i].length, sha256: sha(stored[i]) });
      expect((await readAll((await store.open(taskId))!.content)).equals(stored[i])).toBe(true);
    }
    const [{ n }] = await after.query('SELECT count(*)::int AS n FROM artifact_chunks WHERE task_id = $1', [ids[0]]);
    expect(n).toBe(3);

    await after.undoLastMigration({ transaction: 'all' });
    const rows: { task_id: string; content: Buffer }[] = await after.query('SELECT task_id, content FROM artifacts');
    for (const [i, taskId] of ids.entries()) expect(rows.find((r) => r.task_id === taskId)!.content.equals(stored[i])).toBe(true);
  });
});
