import { TaskSnapshot } from '@spectest/contracts';
import { PostgresArtifactStore } from '@spectest/persistence';
import { createHash, randomBytes } from 'node:crypto';
import { IntakeTestApp, fixture, startIntakeTestApp } from './testing/intake-test-app';

// Generous: other suites share the 2 cores.
jest.setTimeout(30_000);

const sha = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

/** The download streams the stored chunks: what is served is what is stored, with the stored hash as ETag. */
describe('GET /v1/tasks/{id}/artifact, streamed from the store', () => {
  let t: IntakeTestApp;
  let done: TaskSnapshot;
  const tenant = 'acme';

  beforeAll(async () => {
    t = await startIntakeTestApp();
    const res = await t.submit({ spec: fixture('petstore.yaml'), name: 'petstore' }, tenant, { prefer: 'wait=30' });
    done = await res.json();
    expect(done.status).toBe('completed');
  });
  afterAll(async () => {
    await t?.stop();
  });

  it('serves the packaged ZIP: its bytes hash to the ETag, the stored sha256 and the snapshot', async () => {
    const res = await t.call(`/v1/tasks/${done.taskId}/artifact`, { tenant });
    expect(res.status).toBe(200);
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(Number(res.headers.get('content-length'))).toBe(bytes.length);
    const [stored] = await t.dataSource.query('SELECT bytes, sha256 FROM artifacts WHERE task_id = $1', [done.taskId]);
    expect(stored).toEqual({ bytes: bytes.length, sha256: sha(bytes) });
    expect(res.headers.get('etag')).toBe(`"${sha(bytes)}"`);
    expect(done.result!.artifact).toMatchObject(stored);
  });

  it('serves an artifact of many chunks whole, with its length, and 304 for its ETag', async () => {
    // Bigger than a few chunks (1 MiB each), not a multiple of the chunk size.
    const blob = randomBytes(3 * 1024 * 1024 + 12_345);
    await new PostgresArtifactStore(t.dataSource).put(done.taskId, [blob.subarray(0, 1000), blob.subarray(1000)]);
    const [{ n }] = await t.dataSource.query('SELECT count(*)::int AS n FROM artifact_chunks WHERE task_id = $1', [done.taskId]);
    expect(n).toBe(4);
    const res = await t.call(`/v1/tasks/${done.taskId}/artifact`, { tenant });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-length')).toBe(String(blob.length));
    expect(res.headers.get('etag')).toBe(`"${sha(blob)}"`);
    expect(Buffer.from(await res.arrayBuffer()).equals(blob)).toBe(true);
    const cached = await t.call(`/v1/tasks/${done.taskId}/artifact`, { tenant, headers: { 'if-none-match': `"${sha(blob)}"` } });
    expect(cached.status).toBe(304);
    expect((await cached.arrayBuffer()).byteLength).toBe(0);
  });

  it('a completed task whose artifact is gone is 409 not_ready, not a 500', async () => {
    await t.dataSource.query('DELETE FROM artifacts WHERE task_id = $1', [done.taskId]);
    const res = await t.call(`/v1/tasks/${done.taskId}/artifact`, { tenant });
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({ code: 'not_ready' });
  });
});
