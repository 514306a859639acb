import { createHash } from 'node:crypto';
import { chmodSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import {
  DEFAULT_SHUTDOWN_TIMEOUT_MS,
  ROOT,
  RunningEmbedded,
  freshDataDir,
  killStrays,
  postgresPidsFor,
  removeDataDir,
  startEmbedded,
  tail,
  waitNoPostgres,
} from './support/embedded-process';

// The e2e project's testTimeout is not applied per project by jest 30; set it here.
jest.setTimeout(180_000);

/**
 * The single-process default (`npm start`) as a user runs it: the built app, a real embedded
 * PostgreSQL in a data folder, in-process messaging, AUTH_MODE=dev (no token anywhere).
 */
describe('embedded mode (one process, embedded PostgreSQL)', () => {
  let dataDir: string;
  let app: RunningEmbedded | undefined;

  beforeAll(() => {
    dataDir = freshDataDir();
  });

  afterAll(async () => {
    killStrays(app, dataDir);
    await waitNoPostgres(dataDir, 5_000);
    removeDataDir(dataDir);
  });

  it('generates a ZIP without a token, shuts down cleanly on SIGTERM and keeps the task across a restart', async () => {
    // ---- first run: a fresh data folder (initdb + migrations)
    app = await startEmbedded({ dataDir });
    const port = app.port;
    const pgPort = app.pgPort;
    console.log(`embedded first start (initdb): ready in ${app.readyMs} ms`);
    expect(postgresPidsFor(dataDir)).toHaveLength(1);

    const spec = readFileSync(join(ROOT, 'tests', 'fixtures', 'petstore.yaml'));
    const form = new FormData();
    form.append('spec', new Blob([spec], { type: 'application/yaml' }), 'petstore.yaml');
    const t0 = Date.now();
    const submit = await fetch(`${app.url}/v1/tasks`, { method: 'POST', body: form, headers: { Prefer: 'wait=60' } });
    const snapshot = await submit.json();
    console.log(`petstore task ${snapshot.status} in ${Date.now() - t0} ms`);
    expect({ status: submit.status, taskStatus: snapshot.status, error: snapshot.error }).toEqual({ status: 200, taskStatus: 'completed', error: null });
    expect(snapshot.tenant).toBe('dev');
    expect(snapshot.progress).toBe(100);
    expect(snapshot.result.caseCount).toBeGreaterThan(0);
    expect(snapshot.result.foundationCaseCount).toBe(snapshot.result.caseCount); // provider none: no AI cases
    expect(snapshot.stages.map((s: { name: string; status: string }) => `${s.name}:${s.status}`)).toEqual([
      'parsing:done',
      'foundation:done',
      'enhancing:skipped',
      'packaging:done',
    ]);
    const taskId: string = snapshot.taskId;

    const zip1 = await fetch(`${app.url}/v1/tasks/${taskId}/artifact`);
    expect(zip1.status).toBe(200);
    expect(zip1.headers.get('content-type')).toMatch(/^application\/zip/);
    const bytes1 = Buffer.from(await zip1.arrayBuffer());
    expect(bytes1.subarray(0, 4)).toEqual(Buffer.from('PK\x03\x04', 'latin1'));
    expect(Number(zip1.headers.get('content-length'))).toBe(bytes1.length);
    const sha = createHash('sha256').update(bytes1).digest('hex');
    expect(snapshot.result.artifact).toMatchObject({ bytes: bytes1.length, sha256: sha });
    const etag = zip1.headers.get('etag');
    expect(etag).toContain(sha);

    // ---- SIGTERM: exit 0 within the shutdown time, and the embedded PostgreSQL goes with it
    const stopped = await app.stop('SIGTERM');
    console.log(`SIGTERM -> exit ${stopped.code ?? stopped.signal} in ${stopped.ms} ms`);
    expect({ code: stopped.code, signal: stopped.signal }).toEqual({ code: 0, signal: null });
    expect(stopped.ms).toBeLessThan(DEFAULT_SHUTDOWN_TIMEOUT_MS);
    // Exit 0 is only the whole story if nothing of ours is left serving the data folder.
    expect(await waitNoPostgres(dataDir, 5_000)).toEqual([]);
    expect(tail(app.logs)).not.toMatch(/"level":(50|60)/);

    // ---- second run on the same data folder (and ports): the task and its ZIP are still there
    app = await startEmbedded({ dataDir, port, pgPort });
    console.log(`embedded restart (existing cluster): ready in ${app.readyMs} ms`);

    const again = await fetch(`${app.url}/v1/tasks/${taskId}`);
    expect(again.status).toBe(200);
    const snap2 = await again.json();
    expect(snap2).toMatchObject({ taskId, status: 'completed', progress: 100, seq: snapshot.seq, result: snapshot.result });

    const listed = await (await fetch(`${app.url}/v1/tasks?limit=10`)).json();
    expect(listed.items.map((t: { taskId: string }) => t.taskId)).toContain(taskId);

    const zip2 = await fetch(`${app.url}/v1/tasks/${taskId}/artifact`);
    expect(zip2.status).toBe(200);
    expect(zip2.headers.get('etag')).toBe(etag);
    expect(Buffer.from(await zip2.arrayBuffer()).equals(bytes1)).toBe(true);

    // A conditional GET with the ETag we already hold needs no body.
    const cached = await fetch(`${app.url}/v1/tasks/${taskId}/artifact`, { headers: { 'If-None-Match': etag! } });
    expect(cached.status).toBe(304);

    // The event history survived too: SSE replays it from the start and closes after the terminal event.
    const sse = await fetch(`${app.url}/v1/tasks/${taskId}/events?after=0`);
    expect(sse.headers.get('content-type')).toMatch(/^text\/event-stream/);
    const text = await sse.text();
    const ids = [...text.matchAll(/^id: (\d+)$/gm)].map((m) => Number(m[1]));
    expect(ids).toEqual(Array.from({ length: snapshot.seq }, (_, i) => i + 1));
    expect(text).toMatch(/event: completed\n/);

    const stopped2 = await app.stop('SIGTERM');
    expect({ code: stopped2.code, signal: stopped2.signal }).toEqual({ code: 0, signal: null });
    expect(await waitNoPostgres(dataDir, 5_000)).toEqual([]);
  });

  it('with a private (0700) data folder: runs as a normal user; as root stops at once with one clear line', async () => {
    const privateDir = mkdtempSync(join(tmpdir(), 'spectest-private-'));
    chmodSync(privateDir, 0o700);
    let run: RunningEmbedded | undefined;
    try {
      if (process.getuid?.() === 0) {
        // Root: the server runs as the `postgres` user, which cannot enter the folder; initdb would fail cryptically.
        const t0 = Date.now();
        const err = await startEmbedded({ dataDir: privateDir }).then(
          () => new Error('started although the postgres user cannot enter the data folder'),
          (e: Error) => e,
        );
        expect(err.message).toMatch(/exited \(1\) before it was ready/);
        expect(err.message).toContain(`that user cannot enter ${privateDir} (mode 700)`);
        expect(err.message).toContain('SPECTEST_DATA_DIR');
        expect(Date.now() - t0).toBeLessThan(15_000);
      } else {
        run = await startEmbedded({ dataDir: privateDir });
        expect((await fetch(`${run.url}/health/ready`)).status).toBe(200);
        expect((await run.stop('SIGTERM')).code).toBe(0);
      }
      expect(await waitNoPostgres(privateDir, 5_000)).toEqual([]);
    } finally {
      killStrays(run, privateDir);
      removeDataDir(privateDir);
    }
  });

  it('recovers from a crash (SIGKILL): stops the PostgreSQL it left behind, resumes the task, refuses a second instance', async () => {
    const crashDir = freshDataDir('spectest-crash-');
    let first: RunningEmbedded | undefined;
    let second: RunningEmbedded | undefined;
    try {
      first = await startEmbedded({ dataDir: crashDir });
      const spec = readFileSync(join(ROOT, 'tests', 'fixtures', 'petstore.yaml'), 'utf8');
      const accepted = await fetch(`${first.url}/v1/tasks`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ spec, name: 'crash' }),
      });
      expect(accepted.status).toBe(202);
      const { taskId } = await accepted.json();
      const killed = await first.stop('SIGKILL');
      expect(killed.signal).toBe('SIGKILL');

      // The server is its own process: it outlives a crash of ours and holds the data folder.
      const orphans = postgresPidsFor(crashDir);
      expect(orphans).toHaveLength(1);
      const db = new Client({ connectionString: `postgres://postgres:spectest-embedded@127.0.0.1:${first.pgPort}/spectest` });
      await db.connect();
      const { rows } = await db.query('SELECT status FROM tasks WHERE id = $1', [taskId]);
      await db.end();
      const activeAtCrash = ['queued', 'running'].includes(rows[0]?.status);
      console.log(`crash: task was ${rows[0]?.status ?? 'not stored'} when the process was killed`);

      // Restart on the same folder (and ports) with info logs to see how many tasks it resumed.
      second = await startEmbedded({ dataDir: crashDir, port: first.port, pgPort: first.pgPort, env: { LOG_LEVEL: 'info' } });
      expect(postgresPidsFor(crashDir)).not.toContain(orphans[0]);
      expect(tail(second.logs, 100_000)).toContain('left running on');
      const resumed = Number(/"resumed":(\d+)/.exec(second.logs.join(''))?.[1]);
      expect(resumed).toBe(activeAtCrash ? 1 : 0);

      // The task ends completed, whether it was resumed or had finished before the crash.
      let snap: { status: string; progress: number; result?: { caseCount: number } } | undefined;
      for (const deadline = Date.now() + 60_000; Date.now() < deadline; await new Promise((r) => setTimeout(r, 250))) {
        snap = await (await fetch(`${second.url}/v1/tasks/${taskId}`)).json();
        if (!['queued', 'running'].includes(snap!.status)) break;
      }
      expect(snap).toMatchObject({ status: 'completed', progress: 100 });
      expect(snap!.result!.caseCount).toBeGreaterThan(0);
      expect((await fetch(`${second.url}/v1/tasks/${taskId}/artifact`)).status).toBe(200);

      // A second process on a folder in use must not take the running server away from the first.
      const err = await startEmbedded({ dataDir: crashDir }).then(
        (third) => (third.stop('SIGKILL'), new Error('a second instance started on the same data folder')),
        (e: Error) => e,
      );
      expect(err.message).toContain('is in use by another running spectest');
      expect((await fetch(`${second.url}/health/ready`)).status).toBe(200);

      const stopped = await second.stop('SIGTERM');
      expect(stopped.code).toBe(0);
      expect(await waitNoPostgres(crashDir, 5_000)).toEqual([]);
    } finally {
      killStrays(first, crashDir);
      killStrays(second, crashDir);
      await waitNoPostgres(crashDir, 5_000);
      removeDataDir(crashDir);
    }
  });
});
