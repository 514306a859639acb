import { TERMINAL_STATUSES } from '@spectest/contracts';
import { ShutdownState } from '@spectest/platform';
import { IntakeTestApp, fixture, readSse, startIntakeTestApp } from './testing/intake-test-app';

/**
 * An intake with no workers: tasks stay queued, so the limits, the cancel of a queued task and the
 * reaper's timeout can be observed without racing the pipeline.
 */
// Generous: other suites share the 2 cores, and the first parse of a process starts the validator worker.
jest.setTimeout(30_000);

let t: IntakeTestApp;
beforeAll(async () => {
  t = await startIntakeTestApp({
    worker: false,
    env: { RATE_LIMIT_PER_MINUTE: '4', MAX_ACTIVE_TASKS_PER_TENANT: '2', REAPER_INTERVAL_MS: '100', SSE_HEARTBEAT_MS: '150', CORS_ORIGINS: 'https://client.example' },
  });
});
afterAll(async () => {
  await t?.stop();
});

const spec = () => ({ spec: fixture('petstore.yaml') });
const taskIdOf = async (res: Response): Promise<string> => {
  expect(res.status).toBe(202);
  return (await res.json()).taskId;
};
const cancel = (taskId: string, tenant: string) => t.call(`/v1/tasks/${taskId}/cancel`, { method: 'POST', tenant });

async function expect429(res: Response, code: string) {
  expect(res.status).toBe(429);
  expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  expect(await res.json()).toMatchObject({ status: 429, code });
  const retryAfter = Number(res.headers.get('retry-after'));
  expect(Number.isInteger(retryAfter) && retryAfter >= 1 && retryAfter <= 60).toBe(true);
}

describe('limits', () => {
  it('429 too_many_tasks with Retry-After over MAX_ACTIVE_TASKS_PER_TENANT; a slot frees when a task ends', async () => {
    const tenant = 'busy';
    const a = await taskIdOf(await t.submit(spec(), tenant));
    await taskIdOf(await t.submit(spec(), tenant));
    await expect429(await t.submit(spec(), tenant), 'too_many_tasks');
    // another tenant is not affected
    await taskIdOf(await t.submit(spec(), 'busy-neighbour'));
    expect((await cancel(a, tenant)).status).toBe(202);
    await taskIdOf(await t.submit(spec(), tenant));
    const [{ n }] = await t.dataSource.query(`SELECT count(*)::int AS n FROM tasks WHERE tenant = $1`, [tenant]);
    expect(n).toBe(3);
  });

  it('429 rate_limited with Retry-After over RATE_LIMIT_PER_MINUTE, per tenant', async () => {
    const tenant = 'chatty';
    for (let i = 0; i < 4; i++) {
      const id = await taskIdOf(await t.submit(spec(), tenant));
      expect((await cancel(id, tenant)).status).toBe(202); // stay under the concurrency limit
    }
    await expect429(await t.submit(spec(), tenant), 'rate_limited');
    const [{ n }] = await t.dataSource.query(`SELECT count(*)::int AS n FROM tasks WHERE tenant = $1`, [tenant]);
    expect(n).toBe(4);
    await taskIdOf(await t.submit(spec(), 'quiet'));
  });

  it('an Idempotency-Key replay is not refused by the limits', async () => {
    const tenant = 'replayer';
    const id = await taskIdOf(await t.submit(spec(), tenant, { 'idempotency-key': 'k' }));
    await taskIdOf(await t.submit(spec(), tenant));
    expect(await taskIdOf(await t.submit(spec(), tenant, { 'idempotency-key': 'k' }))).toBe(id);
  });
});

describe('cancel', () => {
  it('a queued task: 202 with the cancelled snapshot, stored, `cancelled` last on SSE, then 409 on a second cancel', async () => {
    const tenant = 'canceller';
    const id = await taskIdOf(await t.submit(spec(), tenant));
    const live = await t.call(`/v1/tasks/${id}/events`, { tenant });
    expect(live.status).toBe(200);
    const reading = readSse(live);

    const res = await cancel(id, tenant);
    expect(res.status).toBe(202);
    const snapshot = await res.json();
    expect(snapshot).toMatchObject({ taskId: id, status: 'cancelled', messageKey: 'task.cancelled', finishedAt: expect.any(String) });
    const [row] = await t.dataSource.query('SELECT status, seq FROM tasks WHERE id = $1', [id]);
    expect(row).toEqual({ status: 'cancelled', seq: snapshot.seq });

    const { messages } = await reading;
    expect(messages.map((m) => m.event)).toEqual(['progress', 'cancelled']);
    expect(messages.map((m) => Number(m.id))).toEqual([1, 2]);
    expect(JSON.parse(messages[1].data)).toMatchObject({ seq: snapshot.seq, type: 'cancelled', status: 'cancelled' });

    const again = await cancel(id, tenant);
    expect(again.status).toBe(409);
    expect(await again.json()).toMatchObject({ status: 409, code: 'conflict' });
    expect((await t.call(`/v1/tasks/${id}`, { tenant }).then((r) => r.json())).seq).toBe(snapshot.seq);
  });

  it('concurrent cancels: one 202, the others 409, and exactly one terminal event stored', async () => {
    const tenant = 'racer';
    const id = await taskIdOf(await t.submit(spec(), tenant));
    const statuses = (await Promise.all([1, 2, 3].map(() => cancel(id, tenant)))).map((r) => r.status).sort();
    expect(statuses).toEqual([202, 409, 409]);
    const events = await t.dataSource.query(`SELECT type FROM task_events WHERE task_id = $1 ORDER BY seq`, [id]);
    expect(events.map((e: { type: string }) => e.type)).toEqual(['progress', 'cancelled']);
  });

  it('the artifact of a task that is not completed is 409 not_ready', async () => {
    const tenant = 'early';
    const id = await taskIdOf(await t.submit(spec(), tenant));
    const res = await t.call(`/v1/tasks/${id}/artifact`, { tenant });
    expect(res.status).toBe(409);
    expect(await res.json()).toMatchObject({ code: 'not_ready' });
    await cancel(id, tenant);
    expect((await t.call(`/v1/tasks/${id}/artifact`, { tenant })).status).toBe(409);
  });
});

describe('SSE of a quiet task', () => {
  it('starts with a retry hint and sends a comment heartbeat every SSE_HEARTBEAT_MS, with the first event replayed', async () => {
    const tenant = 'quiet-listener';
    const id = await taskIdOf(await t.submit(spec(), tenant));
    const ctrl = new AbortController();
    const res = await t.call(`/v1/tasks/${id}/events`, { tenant, signal: ctrl.signal });
    expect(res.status).toBe(200);
    const reader = res.body!.getReader();
    const decoder = new TextDecoder();
    let raw = '';
    const until = Date.now() + 700;
    while (Date.now() < until) {
      const { value, done } = await reader.read();
      if (done) break;
      raw += decoder.decode(value, { stream: true });
    }
    ctrl.abort();
    expect(raw).toMatch(/^retry: \d+\n\n/);
    expect(raw).toContain(`id: 1\nevent: progress\ndata: {`);
    expect(raw.match(/^: heartbeat\n\n/gm)?.length ?? 0).toBeGreaterThanOrEqual(2);
    // the hang-up releases the stream (the gauge goes back down)
    await new Promise((r) => setTimeout(r, 100));
    const metrics = await (await t.call('/metrics', { auth: false })).text();
    expect(metrics).toMatch(/^spectest_sse_streams\{[^}]*\} 0$/m);
    await cancel(id, tenant);
  });
});

describe('Prefer: wait on a task that cannot progress', () => {
  it('answers 202 with the links once N seconds have passed', async () => {
    const started = Date.now();
    const res = await t.submit(spec(), 'patient', { prefer: 'respond-async, wait=1' });
    expect(res.status).toBe(202);
    expect(res.headers.get('preference-applied')).toBe('wait=1');
    expect(Date.now() - started).toBeGreaterThanOrEqual(900);
    expect(await res.json()).toMatchObject({ status: 'queued', socket: { namespace: '/tasks' } });
  });
});

describe('timeout', () => {
  it('a task past options.timeoutSeconds is failed by the reaper with code `timeout`, once', async () => {
    const tenant = 'slowpoke';
    const id = await taskIdOf(await t.submit({ ...spec(), options: { timeoutSeconds: 1 } }, tenant));
    const failed = await t.waitFor(id, tenant, (s) => s.status !== 'queued', 10_000);
    expect(failed).toMatchObject({ status: 'failed', error: { code: 'timeout', message: expect.any(String) }, finishedAt: expect.any(String) });

    const { messages } = await readSse(await t.call(`/v1/tasks/${id}/events`, { tenant }));
    expect(messages.map((m) => m.event)).toEqual(['progress', 'failed']);
    expect(JSON.parse(messages[1].data)).toMatchObject({ type: 'failed', error: { code: 'timeout' } });
    // the reaper keeps running: still exactly one terminal event
    await new Promise((r) => setTimeout(r, 300));
    const [{ n }] = await t.dataSource.query(`SELECT count(*)::int AS n FROM task_events WHERE task_id = $1 AND type = ANY($2)`, [id, TERMINAL_STATUSES]);
    expect(n).toBe(1);
    expect((await cancel(id, tenant)).status).toBe(409);
  });
});

describe('health and metrics', () => {
  it('/health/live and /health/ready answer 200 with the database and the broker up, without a token', async () => {
    const live = await t.call('/health/live', { auth: false });
    expect(live.status).toBe(200);
    const ready = await t.call('/health/ready', { auth: false });
    expect(ready.status).toBe(200);
    expect(await ready.json()).toMatchObject({ status: 'ok', info: { database: { status: 'up' }, broker: { status: 'up' } } });
  });

  it('/metrics is Prometheus text with the intake counters', async () => {
    const res = await t.call('/metrics', { auth: false });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/plain/);
    const text = await res.text();
    expect(text).toMatch(/^# HELP spectest_tasks_submitted_total /m);
    expect(text).toMatch(/^spectest_tasks_submitted_total\{[^}]*\} [1-9]\d*$/m);
    expect(text).toMatch(/^process_cpu_user_seconds_total/m);
  });
});

describe('CORS (jwt mode: from CORS_ORIGINS only)', () => {
  it('a preflight from a listed origin may send Authorization and Idempotency-Key, and reads ETag and Retry-After', async () => {
    const res = await t.call('/v1/tasks', {
      method: 'OPTIONS',
      auth: false,
      headers: { origin: 'https://client.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization,content-type,idempotency-key,prefer' },
    });
    expect(res.status).toBe(204);
    expect(res.headers.get('access-control-allow-origin')).toBe('https://client.example');
    expect(res.headers.get('access-control-allow-headers')?.toLowerCase()).toContain('idempotency-key');
    const exposed = (await t.call('/v1/tasks', { headers: { origin: 'https://client.example' } })).headers.get('access-control-expose-headers') ?? '';
    for (const h of ['ETag', 'Retry-After', 'Location', 'Preference-Applied']) expect(exposed).toContain(h);
  });

  it('an origin that is not listed gets no CORS header, and no wildcard', async () => {
    const res = await t.call('/v1/tasks', { headers: { origin: 'https://elsewhere.example' } });
    expect([res.status, res.headers.get('access-control-allow-origin')]).toEqual([200, null]);
  });
});

// Last in this file: it takes the broker away.
describe('readiness with the broker down', () => {
  it('/health/ready is 503 naming the broker, while /health/live stays 200', async () => {
    await t.messaging.close();
    const ready = await t.call('/health/ready', { auth: false });
    expect(ready.status).toBe(503);
    expect(await ready.json()).toMatchObject({ status: 'error', error: { broker: { status: 'down', message: expect.any(String) } }, info: { database: { status: 'up' } } });
    expect((await t.call('/health/live', { auth: false })).status).toBe(200);
  });

  it('/health/ready is 503 shutting_down once draining starts', async () => {
    t.running.app.get(ShutdownState).startDraining();
    const ready = await t.call('/health/ready', { auth: false });
    expect(ready.status).toBe(503);
    expect(await ready.json()).toEqual({ status: 'shutting_down' });
  });
});
