import { TaskSnapshot, isTerminalEvent } from '@spectest/contracts';
import { AddressInfo, Server, Socket, createServer } from 'node:net';
import { IntakeTestApp, fixture, readSse, startIntakeTestApp } from './testing/intake-test-app';

/**
 * The whole pipeline in process, with a "model server" that accepts connections and never answers:
 * a task that asks for Ollama stays running in `enhancing` until it is cancelled.
 */
// Generous: other suites share the 2 cores, and the first parse of a process starts the validator worker.
jest.setTimeout(30_000);

let t: IntakeTestApp;
let model: Server;
let modelConnections = 0;
const modelSockets = new Set<Socket>();
beforeAll(async () => {
  model = createServer((s) => {
    modelSockets.add(s);
    modelConnections++;
    s.on('close', () => modelSockets.delete(s));
    s.on('error', () => undefined);
    s.resume(); // read (and drop) the request, or the hang-up of the client is never noticed
  });
  await new Promise<void>((r) => model.listen(0, '127.0.0.1', r));
  const port = (model.address() as AddressInfo).port;
  t = await startIntakeTestApp({
    // One model call at a time, so a cancel has exactly one connection to drop.
    env: { OLLAMA_URL: `http://127.0.0.1:${port}`, AI_CONCURRENCY: '1', AI_CALL_TIMEOUT_MS: '60000', AI_IDLE_TIMEOUT_MS: '60000', RATE_LIMIT_PER_MINUTE: '1000', MAX_ACTIVE_TASKS_PER_TENANT: '100' },
  });
});
afterAll(async () => {
  await t?.stop();
  for (const s of modelSockets) s.destroy();
  await new Promise((r) => model?.close(r));
});

const submitted = async (res: Response): Promise<string> => {
  expect(res.status).toBe(202);
  return (await res.json()).taskId;
};

describe('GET /v1/tasks (list)', () => {
  const tenant = 'lister';
  const ids: string[] = [];
  beforeAll(async () => {
    for (let i = 0; i < 7; i++) ids.push(await submitted(await t.submit({ spec: fixture('petstore.yaml'), name: `task ${i}` }, tenant)));
    // one of them ends differently, for the status filter
    await t.call(`/v1/tasks/${ids[3]}/cancel`, { method: 'POST', tenant });
    for (const id of ids) await t.waitFor(id, tenant);
  });
  const list = async (query: string) => {
    const res = await t.call(`/v1/tasks${query}`, { tenant });
    expect(res.status).toBe(200);
    return (await res.json()) as { items: TaskSnapshot[]; nextCursor: string | null };
  };

  it('is newest first, 20 by default, with snapshots and no cursor when everything fits', async () => {
    const page = await list('');
    expect(page.items.map((s) => s.taskId)).toEqual([...ids].reverse());
    expect(page.nextCursor).toBeNull();
    expect(page.items[0]).toMatchObject({ tenant, name: 'task 6', status: 'completed', result: expect.any(Object) });
  });

  it('pages with limit and nextCursor, covering every task exactly once', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const page = await list(`?limit=3${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      expect(page.items.length).toBeLessThanOrEqual(3);
      seen.push(...page.items.map((s) => s.taskId));
      cursor = page.nextCursor;
      pages++;
    } while (cursor && pages < 10);
    expect(pages).toBe(3);
    expect(seen).toEqual([...ids].reverse());
  });

  it('filters by status', async () => {
    expect((await list('?status=cancelled')).items.map((s) => s.taskId)).toEqual([ids[3]]);
    expect((await list('?status=completed')).items).toHaveLength(6);
    expect((await list('?status=queued')).items).toEqual([]);
    const page = await list('?status=completed&limit=4');
    expect(page.items).toHaveLength(4);
    const rest = await list(`?status=completed&limit=4&cursor=${encodeURIComponent(page.nextCursor!)}`);
    expect(rest.items.map((s) => s.status)).toEqual(['completed', 'completed']);
    expect(rest.nextCursor).toBeNull();
  });

  it('400 for a bad cursor, limit or status, never a 500', async () => {
    const b64 = (v: unknown) => Buffer.from(JSON.stringify(v)).toString('base64url');
    const bad = [
      'cursor=nope',
      `cursor=${b64({ c: '2024-01-01T00:00:00.000Z' })}`,
      `cursor=${b64({ c: '2024-01-01T00:00:00.000Z', i: 'not-a-uuid' })}`,
      `cursor=${b64({ c: '1', i: '00000000-0000-4000-8000-000000000000' })}`,
      `cursor=${b64({ c: 'Tue, 1 Jan 2030 00:00:00', i: "x' OR 1=1 --" })}`,
      'limit=0',
      'limit=101',
      'limit=abc',
      'status=done',
    ];
    for (const q of bad) {
      const res = await t.call(`/v1/tasks?${q}`, { tenant });
      expect({ q, status: res.status }).toEqual({ q, status: 400 });
      expect(await res.json()).toMatchObject({ code: 'invalid_request' });
    }
  });
});

describe('malformed specs end as a failed task with a specific code, or a 400, never a 500', () => {
  const tenant = 'hostile';
  const cases: [string, string | (() => string), string[]][] = [
    ['invalid YAML', 'hostile/invalid.yaml', ['invalid_spec']],
    ['not OpenAPI', 'hostile/not-openapi.json', ['invalid_spec']],
    ['invalid OpenAPI', 'hostile/invalid-openapi.yaml', ['invalid_spec', 'no_operations']],
    ['external file $ref', 'hostile/external-ref-file.yaml', ['external_ref']],
    ['external http $ref', 'hostile/external-ref-http.yaml', ['external_ref']],
    ['YAML alias bomb', 'hostile/yaml-alias-bomb.yaml', ['invalid_spec', 'spec_too_large', 'spec_too_deep']],
    ['no paths', () => 'openapi: 3.0.3\ninfo: { title: Empty, version: "1" }\npaths: {}\n', ['no_operations']],
    ['a YAML scalar', () => 'just some text', ['invalid_spec']],
  ];
  it.each(cases)('%s', async (_label, source, codes) => {
    const spec = typeof source === 'string' ? fixture(source) : source();
    const res = await t.submit({ spec, name: _label }, tenant);
    expect([202, 400]).toContain(res.status);
    if (res.status === 400) {
      expect(codes).toContain((await res.json()).code);
      return;
    }
    const { taskId } = await res.json();
    const end = await t.waitFor(taskId, tenant);
    expect(end.status).toBe('failed');
    expect(codes).toContain(end.error?.code);
    expect(end.error?.message).toEqual(expect.any(String));
    expect(end.result).toBeNull();
    const artifact = await t.call(`/v1/tasks/${taskId}/artifact`, { tenant });
    expect(artifact.status).toBe(409);
    const { messages } = await readSse(await t.call(`/v1/tasks/${taskId}/events`, { tenant }));
    expect(messages.at(-1)).toMatchObject({ event: 'failed' });
    expect(messages.filter((m) => isTerminalEvent({ type: m.event ?? '' }))).toHaveLength(1);
  });

  it('no file outside the spec was read: the external $ref target is not in the error', async () => {
    const { taskId } = await (await t.submit({ spec: fixture('hostile/external-ref-file.yaml') }, tenant)).json();
    const end = await t.waitFor(taskId, tenant);
    expect(JSON.stringify(end)).not.toMatch(/root:x:0:0/);
  });
});

describe('cancel of a running task', () => {
  it('202 cancelled while the model call hangs, the model connection is dropped, `cancelled` is the last SSE event', async () => {
    expect(modelConnections).toBe(0);
    const tenant = 'runner';
    const before = modelSockets.size;
    const taskId = await submitted(await t.submit({ spec: fixture('petstore.yaml'), options: { ai: { provider: 'ollama' } } }, tenant));
    const running = await t.waitFor(taskId, tenant, (s) => s.status === 'running' && s.stage === 'enhancing' && modelSockets.size > before, 20_000);
    expect(running.stages.find((s) => s.name === 'enhancing')?.status).toBe('running');
    const sse = readSse(await t.call(`/v1/tasks/${taskId}/events?after=1`, { tenant }));

    const res = await t.call(`/v1/tasks/${taskId}/cancel`, { method: 'POST', tenant });
    expect(res.status).toBe(202);
    const snapshot = await res.json();
    expect(snapshot).toMatchObject({ taskId, status: 'cancelled' });

    const { messages } = await sse;
    expect(messages.at(-1)).toMatchObject({ event: 'cancelled', id: String(snapshot.seq) });
    expect(messages.filter((m) => isTerminalEvent({ type: m.event ?? '' }))).toHaveLength(1);
    // the in-flight model request is aborted
    const deadline = Date.now() + 5000;
    while (modelSockets.size > before && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    expect({ open: modelSockets.size, opened: modelConnections }).toEqual({ open: before, opened: 1 });
    // nothing is written after the terminal event
    await new Promise((r) => setTimeout(r, 300));
    const final = await (await t.call(`/v1/tasks/${taskId}`, { tenant })).json();
    expect(final).toMatchObject({ status: 'cancelled', seq: snapshot.seq, result: null });
    expect((await t.call(`/v1/tasks/${taskId}/cancel`, { method: 'POST', tenant })).status).toBe(409);
    expect(modelConnections).toBe(1);
  });

  it('a completed task cannot be cancelled: 409 conflict', async () => {
    const tenant = 'finisher';
    const res = await t.submit({ spec: fixture('petstore.yaml') }, tenant, { prefer: 'wait=30' });
    expect(res.status).toBe(200);
    const { taskId, seq } = await res.json();
    const again = await t.call(`/v1/tasks/${taskId}/cancel`, { method: 'POST', tenant });
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ code: 'conflict' });
    expect((await (await t.call(`/v1/tasks/${taskId}`, { tenant })).json()).seq).toBe(seq);
  });
});
