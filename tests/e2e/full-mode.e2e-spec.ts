import { signTestToken } from '@spectest/auth';
import { EVENT_TYPES, TaskEvent, TaskSnapshot } from '@spectest/contracts';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startPetstoreServer } from '../support/petstore-server';
import { extractZip, runNodeTest } from '../support/generated-suite';
import { FakeModelServer, startFakeModelServer } from '../support/fake-model-server';
import { SERVICES, RunningCluster, startCluster } from './full/cluster';
import { TaskSocket, collectSocketEvents, connectSocket, readSse, subscribe, withTimeout } from './full/clients';
import { brokenEventRules } from './full/event-rules';

const FIXTURES = join(__dirname, '..', 'fixtures');

/**
 * The whole system in full mode: five services as separate processes over the machine's NATS and
 * Postgres, watched through a real socket.io-client and an SSE client, as API.md promises.
 */
describe('full mode: five services over NATS and Postgres', () => {
  let cluster: RunningCluster;
  let model: FakeModelServer;
  let tokenA: string;
  let tokenB: string;
  const sockets: TaskSocket[] = [];

  const api = (path: string, init: RequestInit & { token?: string } = {}) =>
    fetch(`${cluster.urls.intake}${path}`, {
      ...init,
      headers: { ...(init.token ? { authorization: `Bearer ${init.token}` } : {}), ...(init.headers as Record<string, string>) },
    });
  const submit = async (file: string, token: string, name: string, options?: object): Promise<string> => {
    const res = await api('/v1/tasks', {
      method: 'POST',
      token,
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ spec: await readFile(join(FIXTURES, file), 'utf8'), name, options }),
    });
    expect(res.status).toBe(202);
    const body = await res.json();
    expect(body).toMatchObject({
      status: 'queued',
      statusUrl: `/v1/tasks/${body.taskId}`,
      eventsUrl: `/v1/tasks/${body.taskId}/events`,
      artifactUrl: `/v1/tasks/${body.taskId}/artifact`,
      socket: { namespace: '/tasks', taskId: body.taskId },
    });
    return body.taskId;
  };
  const socketFor = async (token: string | undefined) => {
    const s = await connectSocket(cluster.urls.gateway, token);
    sockets.push(s);
    return s;
  };
  /** Watches one task on both channels from seq 0 to the end. */
  const watchBoth = async (taskId: string, token: string) => {
    const socket = await socketFor(token);
    const live = collectSocketEvents(socket, taskId);
    const ack = await subscribe(socket, taskId);
    expect(ack.ok).toBe(true);
    const sse = withTimeout(readSse(`${cluster.urls.intake}/v1/tasks/${taskId}/events`, { authorization: `Bearer ${token}` }), 120_000, 'SSE');
    await withTimeout(live.ended, 120_000, 'socket terminal event');
    return { socketEvents: live.events, sse: await sse, ack };
  };
  const snapshot = async (taskId: string, token: string): Promise<TaskSnapshot> => (await api(`/v1/tasks/${taskId}`, { token })).json();

  beforeAll(async () => {
    model = await startFakeModelServer({ tokensPerSecond: 2000 });
    cluster = await startCluster({ OLLAMA_URL: model.url, OLLAMA_MODEL: 'llama3.2' });
    tokenA = await signTestToken(cluster.secret, { sub: 'alice', tenant: 'acme' });
    tokenB = await signTestToken(cluster.secret, { sub: 'bob', tenant: 'globex' });
  }, 120_000);

  afterEach(() => {
    for (const s of sockets.splice(0)) s.close();
  });

  afterAll(async () => {
    await cluster?.stop();
    await model?.close();
  }, 60_000);

  it('every service is live, ready (broker + database) and exposes metrics', async () => {
    for (const name of SERVICES) {
      const ready = await fetch(`${cluster.urls[name]}/health/ready`);
      expect({ name, status: ready.status }).toEqual({ name, status: 200 });
      expect(await ready.json()).toMatchObject({ status: 'ok', info: { database: { status: 'up' }, broker: { status: 'up' } } });
      expect((await fetch(`${cluster.urls[name]}/health/live`)).status).toBe(200);
      const metrics = await (await fetch(`${cluster.urls[name]}/metrics`)).text();
      expect(metrics).toContain(`process_cpu_user_seconds_total{service="${name}"}`);
    }
  });

  it('petstore: both channels deliver the same lawful events, the snapshot agrees, and the ZIP runs green', async () => {
    const taskId = await submit('petstore.yaml', tokenA, 'petstore');
    const { socketEvents, sse, ack } = await watchBoth(taskId, tokenA);

    expect(brokenEventRules(socketEvents)).toEqual([]);
    expect(sse.events).toEqual(socketEvents);
    expect(sse.ids).toEqual(socketEvents.map((e) => String(e.seq)));
    expect(sse.names).toEqual(socketEvents.map((e) => e.type));
    if (ack.ok) expect(ack.snapshot.taskId).toBe(taskId);
    expect(socketEvents.map((e) => e.messageKey)).toEqual(
      expect.arrayContaining(['task.queued', 'parsing.started', 'parsing.done', 'foundation.endpoint', 'foundation.done', 'enhancing.skipped', 'packaging.started', 'packaging.zip', 'task.completed']),
    );
    const skipped = socketEvents.find((e) => e.messageKey === 'enhancing.skipped')!;
    expect(skipped.progress).toBe(80);

    const last = socketEvents[socketEvents.length - 1] as TaskEvent;
    const snap = await snapshot(taskId, tokenA);
    expect(snap).toMatchObject({ taskId, tenant: 'acme', name: 'petstore', status: 'completed', progress: 100, seq: last.seq, endpointCount: 3 });
    expect(snap.result).toEqual(last.result);
    expect(snap.stages.map((s) => [s.name, s.status])).toEqual([
      ['parsing', 'done'],
      ['foundation', 'done'],
      ['enhancing', 'skipped'],
      ['packaging', 'done'],
    ]);

    const zipRes = await api(`/v1/tasks/${taskId}/artifact`, { token: tokenA });
    expect(zipRes.status).toBe(200);
    expect(zipRes.headers.get('content-type')).toBe('application/zip');
    const zip = Buffer.from(await zipRes.arrayBuffer());
    expect(Number(zipRes.headers.get('content-length'))).toBe(zip.length);
    const sha = createHash('sha256').update(zip).digest('hex');
    expect(zipRes.headers.get('etag')).toBe(`"${sha}"`);
    expect(snap.result?.artifact.sha256).toBe(sha);

    const dir = await mkdtemp(join(tmpdir(), 'spectest-e2e-'));
    const server = await startPetstoreServer();
    try {
      await extractZip(zip, dir);
      const run = await runNodeTest(join(dir, 'tests'), server.url);
      expect({ exitCode: run.exitCode, fail: run.fail, pass: run.pass }).toEqual({ exitCode: 0, fail: 0, pass: snap.result!.caseCount });
    } finally {
      await server.close();
      await rm(dir, { recursive: true, force: true });
    }
  }, 180_000);

  it('a spec with 30+ operations: lawful events, per-endpoint progress, channels agree', async () => {
    const taskId = await submit('bookstore.openapi31.yaml', tokenA, 'bookstore');
    const { socketEvents, sse } = await watchBoth(taskId, tokenA);
    expect(brokenEventRules(socketEvents)).toEqual([]);
    expect(sse.events).toEqual(socketEvents);
    const snap = await snapshot(taskId, tokenA);
    expect(snap.status).toBe('completed');
    expect(snap.endpointCount).toBeGreaterThanOrEqual(30);
    expect(snap.currentEndpoint).toBe(snap.endpointCount);
    expect(snap.result!.caseCount).toBeGreaterThan(snap.endpointCount!);
    const perEndpoint = socketEvents.filter((e) => e.messageKey === 'foundation.endpoint');
    expect(perEndpoint.length).toBeGreaterThan(0);
    expect(perEndpoint[0]).toMatchObject({ currentEndpoint: 1, endpointCount: snap.endpointCount });
  }, 180_000);

  it('AI enhancement with Ollama: streamed tokens in the events, AI cases in the result', async () => {
    model.setBehaviour({ kind: 'ok' });
    const taskId = await submit('petstore.yaml', tokenA, 'petstore-ai', { ai: { provider: 'ollama', maxCasesPerEndpoint: 2 } });
    const { socketEvents, sse } = await watchBoth(taskId, tokenA);
    expect(brokenEventRules(socketEvents)).toEqual([]);
    expect(sse.events).toEqual(socketEvents);
    const keys = socketEvents.map((e) => e.messageKey);
    for (const key of ['enhancing.started', 'enhancing.prompt', 'enhancing.calling', 'enhancing.tokens', 'enhancing.parsing', 'enhancing.merged', 'enhancing.done']) {
      expect(keys).toContain(key);
    }
    const snap = await snapshot(taskId, tokenA);
    expect(snap.status).toBe('completed');
    expect(snap.result!.aiCaseCount).toBeGreaterThan(0);
    expect(snap.result!.caseCount).toBe(snap.result!.foundationCaseCount + snap.result!.aiCaseCount);
    expect(snap.tokens.completion).toBeGreaterThan(0);
    expect(snap.tokens.total).toBe(snap.tokens.prompt + snap.tokens.completion);
    expect(model.requests.filter((r) => r.path === '/api/chat').length).toBeGreaterThanOrEqual(3);

    // The report of the finished task states the model, the tokens and how far the stage's ETAs were off.
    const zip = Buffer.from(await (await api(`/v1/tasks/${taskId}/artifact`, { token: tokenA })).arrayBuffer());
    const dir = await mkdtemp(join(tmpdir(), 'spectest-e2e-ai-'));
    try {
      await extractZip(zip, dir);
      const report = await readFile(join(dir, 'REPORT.md'), 'utf8');
      expect(report).toContain(`Tokens: ${snap.tokens.total} (prompt ${snap.tokens.prompt}, completion ${snap.tokens.completion})`);
      expect(report).toMatch(/ETA error at 25% \/ 50% \/ 75% of the enhancing stage: .* \(mean absolute \d+ ms\)/);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }, 180_000);

  it('a failing model never fails the task: foundation cases kept, with a warning per endpoint', async () => {
    model.setBehaviour({ kind: 'server_error', status: 500 });
    const taskId = await submit('petstore.yaml', tokenA, 'petstore-ai-down', { ai: { provider: 'ollama' } });
    const { socketEvents } = await watchBoth(taskId, tokenA);
    expect(brokenEventRules(socketEvents)).toEqual([]);
    expect(socketEvents.filter((e) => e.messageKey === 'enhancing.fallback')).toHaveLength(3);
    const snap = await snapshot(taskId, tokenA);
    expect(snap.status).toBe('completed');
    expect(snap.result!.aiCaseCount).toBe(0);
    expect(snap.result!.foundationCaseCount).toBeGreaterThan(0);
    expect(snap.warnings).toHaveLength(3);
    expect(snap.warnings[0]).toMatch(/^AI enhancement failed for (GET|POST) \/pets/);
  }, 180_000);

  it('a reconnect with afterSeq misses nothing and repeats nothing', async () => {
    const taskId = await submit('bookstore.openapi31.yaml', tokenA, 'reconnect');
    const first = await socketFor(tokenA);
    const seen: TaskEvent[] = [];
    let resolveSome: () => void = () => undefined;
    const some = new Promise<void>((r) => (resolveSome = r));
    for (const type of EVENT_TYPES) {
      first.on(type, (e: TaskEvent) => {
        seen.push(e);
        if (seen.length === 3) resolveSome();
      });
    }
    expect((await subscribe(first, taskId)).ok).toBe(true);
    await withTimeout(some, 60_000, 'first events');
    first.disconnect();
    const lastSeen = seen[seen.length - 1].seq;

    const second = await socketFor(tokenA);
    const rest = collectSocketEvents(second, taskId);
    expect((await subscribe(second, taskId, lastSeen)).ok).toBe(true);
    await withTimeout(rest.ended, 120_000, 'terminal after reconnect');
    expect(rest.events[0].seq).toBe(lastSeen + 1);
    expect(brokenEventRules([...seen, ...rest.events])).toEqual([]);
  }, 180_000);

  it('another tenant gets 404 everywhere and never the data; a bad token is refused', async () => {
    const taskId = await submit('petstore.yaml', tokenA, 'private');
    for (const [method, path] of [
      ['GET', `/v1/tasks/${taskId}`],
      ['GET', `/v1/tasks/${taskId}/events`],
      ['GET', `/v1/tasks/${taskId}/artifact`],
      ['POST', `/v1/tasks/${taskId}/cancel`],
    ]) {
      const res = await api(path, { method, token: tokenB });
      expect({ path, status: res.status }).toEqual({ path, status: 404 });
      const body = await res.json();
      expect(body.code).toBe('not_found');
      expect(JSON.stringify(body)).not.toContain('private');
    }
    const list = await (await api('/v1/tasks?limit=100', { token: tokenB })).json();
    expect(list.items.map((t: TaskSnapshot) => t.taskId)).not.toContain(taskId);
    const socketB = await socketFor(tokenB);
    expect(await subscribe(socketB, taskId)).toEqual({ ok: false, error: { code: 'not_found' } });

    const forged = await signTestToken('another-secret-of-enough-length', { sub: 'mallory', tenant: 'acme' });
    for (const token of [undefined, 'not-a-jwt', forged]) {
      const res = await api(`/v1/tasks/${taskId}`, { token });
      expect(res.status).toBe(401);
      expect((await res.json()).code).toBe('unauthorized');
      await expect(connectSocket(cluster.urls.gateway, token)).rejects.toThrow('unauthorized');
    }
  }, 60_000);

  it('a malformed spec ends as a failed task with a specific code (or a 400), never a 500', async () => {
    const cases: [string, string][] = [
      ['hostile/invalid.yaml', 'invalid_spec'],
      ['hostile/not-openapi.json', 'invalid_spec'],
      ['hostile/external-ref-http.yaml', 'external_ref'],
    ];
    for (const [file, code] of cases) {
      const taskId = await submit(file, tokenA, file);
      const { socketEvents, sse } = await watchBoth(taskId, tokenA);
      expect(brokenEventRules(socketEvents)).toEqual([]);
      expect(sse.events).toEqual(socketEvents);
      const last = socketEvents[socketEvents.length - 1];
      expect({ file, type: last.type, code: last.error?.code }).toEqual({ file, type: 'failed', code });
      expect((await snapshot(taskId, tokenA)).error?.code).toBe(code);
    }
    const res = await api('/v1/tasks', { method: 'POST', token: tokenA, headers: { 'content-type': 'application/json' }, body: '{"spec": ""}' });
    expect(res.status).toBe(400);
  }, 120_000);

  it('every service stops gracefully on SIGTERM', async () => {
    for (const name of SERVICES) expect({ name, code: await cluster.stopService(name) }).toEqual({ name, code: 0 });
  }, 120_000);
});
