import { Messaging } from '@spectest/messaging';
import { testDatabaseAdminUrl } from '@spectest/testing';
import { Client } from 'pg';
import { IntakeTestApp, fixture, startIntakeTestApp } from './testing/intake-test-app';

jest.setTimeout(60_000);

/** Messaging whose broker can be made unreachable (ping fails) or slow to store work (publishWork fails). */
function flaky(inner: Messaging) {
  const state = { down: false, publishFails: false };
  const messaging: Messaging = {
    publishWork: async (stage, payload, options) => {
      if (state.publishFails) throw Object.assign(new Error('timed out waiting for the broker'), { code: 'TIMEOUT' });
      return inner.publishWork(stage, payload, options);
    },
    consumeWork: (stage, handler, options) => inner.consumeWork(stage, handler, options),
    publish: (subject, payload) => inner.publish(subject, payload),
    subscribe: (subject, handler) => inner.subscribe(subject, handler),
    ping: async () => {
      if (state.down) throw Object.assign(new Error('the broker connection is down; reconnecting'), { code: 'DISCONNECT' });
      return inner.ping();
    },
    close: () => inner.close(),
  };
  return { messaging, state };
}

const submitBody = { spec: fixture('petstore.yaml'), name: 'petstore' };

describe('intake during outages', () => {
  let app: IntakeTestApp;
  let broker: ReturnType<typeof flaky>;

  beforeAll(async () => {
    app = await startIntakeTestApp({
      wrapMessaging: (inner) => (broker = flaky(inner)).messaging,
    });
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('answers 202 once the task is stored even if its dispatch cannot be published, and the outbox starts it', async () => {
    broker.state.publishFails = true;
    const res = await app.submit(submitBody, 'outbox');
    expect(res.status).toBe(202);
    const { taskId } = await res.json();
    const [row] = await app.dataSource.query('SELECT dispatch_published_at FROM tasks WHERE id = $1', [taskId]);
    expect(row.dispatch_published_at).toBeNull();
    broker.state.publishFails = false;
    const done = await app.waitFor(taskId, 'outbox', undefined, 20_000);
    expect(done.status).toBe('completed');
    // One submission, one task: a client that saw the 202 has nothing to retry.
    const list = await (await app.call('/v1/tasks', { tenant: 'outbox' })).json();
    expect(list.items).toHaveLength(1);
  });

  it('answers 503 unavailable with Retry-After, storing nothing, while the broker is down', async () => {
    broker.state.down = true;
    try {
      const res = await app.submit(submitBody, 'broker-down');
      expect(res.status).toBe(503);
      expect(res.headers.get('retry-after')).toBe('5');
      expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
      expect(await res.json()).toMatchObject({ status: 503, code: 'unavailable' });
    } finally {
      broker.state.down = false;
    }
    const list = await (await app.call('/v1/tasks', { tenant: 'broker-down' })).json();
    expect(list.items).toHaveLength(0);
  });

  it('answers 503 unavailable with Retry-After on every route while the database is down, and serves again after', async () => {
    const created = await (await app.submit(submitBody, 'db-down')).json();
    await app.waitFor(created.taskId, 'db-down');
    const name = new URL((app.dataSource.options as { url: string }).url).pathname.slice(1);
    const admin = new Client({ connectionString: testDatabaseAdminUrl() });
    await admin.connect();
    const routes: Array<[string, RequestInit]> = [
      ['/v1/tasks', {}],
      [`/v1/tasks/${created.taskId}`, {}],
      [`/v1/tasks/${created.taskId}/artifact`, {}],
      [`/v1/tasks/${created.taskId}/cancel`, { method: 'POST' }],
    ];
    try {
      // An outage of this database only: new sessions are refused, the open ones are ended.
      await admin.query(`ALTER DATABASE "${name}" ALLOW_CONNECTIONS false`);
      await admin.query('SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()', [name]);
      const answers = [];
      for (const [path, init] of routes) {
        const res = await app.call(path, { ...init, tenant: 'db-down' });
        answers.push({ path, status: res.status, retryAfter: res.headers.get('retry-after'), code: (await res.json()).code });
      }
      const submitted = await app.submit(submitBody, 'db-down');
      answers.push({ path: 'POST /v1/tasks', status: submitted.status, retryAfter: submitted.headers.get('retry-after'), code: (await submitted.json()).code });
      expect(answers).toEqual([...routes.map(([path]) => ({ path, status: 503, retryAfter: '5', code: 'unavailable' })), { path: 'POST /v1/tasks', status: 503, retryAfter: '5', code: 'unavailable' }]);
    } finally {
      await admin.query(`ALTER DATABASE "${name}" ALLOW_CONNECTIONS true`);
      await admin.end();
    }
    const again = await app.call(`/v1/tasks/${created.taskId}`, { tenant: 'db-down' });
    expect(again.status).toBe(200);
  });
});
