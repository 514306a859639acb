import { signTestToken } from '@spectest/auth';
import { TEST_JWT_SECRET, IntakeTestApp, fixture, readSse, startIntakeTestApp } from './testing/intake-test-app';

/**
 * When an SSE stream of a task that has not ended is closed by the server: at its token's `exp`, and
 * when the event log cannot be read. No workers, so the tasks stay queued and the stream stays open
 * unless the server ends it.
 */
jest.setTimeout(30_000);

let t: IntakeTestApp;
beforeAll(async () => {
  t = await startIntakeTestApp({ worker: false, env: { SSE_HEARTBEAT_MS: '200' } });
});
afterAll(async () => {
  await t?.stop();
});

const queuedTask = async (tenant: string): Promise<string> => {
  const res = await t.submit({ spec: fixture('petstore.yaml') }, tenant);
  expect(res.status).toBe(202);
  return (await res.json()).taskId;
};

describe('an SSE stream ends at its token expiry', () => {
  it.each([
    ['the Authorization header', 'header'],
    ['?access_token=', 'query'],
  ] as const)('with the token in %s: open until exp, closed within about a second after it', async (_label, where) => {
    const tenant = `expiring-${where}`;
    const taskId = await queuedTask(tenant);
    const exp = Math.floor(Date.now() / 1000) + 2;
    const token = await signTestToken(TEST_JWT_SECRET, { sub: `user-of-${tenant}`, tenant }, exp);
    const res =
      where === 'header'
        ? await t.call(`/v1/tasks/${taskId}/events`, { auth: false, headers: { authorization: `Bearer ${token}` } })
        : await t.call(`/v1/tasks/${taskId}/events?access_token=${token}`, { auth: false });
    expect(res.status).toBe(200);
    const { messages, raw } = await readSse(res, 10_000);
    const closedAt = Date.now();
    // It streamed until then: the queued event and heartbeats.
    expect(messages.map((m) => m.id)).toEqual(['1']);
    expect(raw).toContain(': heartbeat');
    expect(closedAt).toBeGreaterThanOrEqual(exp * 1000);
    expect(closedAt).toBeLessThanOrEqual(exp * 1000 + 2_500);
    // The same token is refused from now on, so a reconnecting EventSource stops (or the client gets a new token).
    expect((await t.call(`/v1/tasks/${taskId}/events`, { auth: false, headers: { authorization: `Bearer ${token}` } })).status).toBe(401);
  });
});

describe('an SSE stream ends when the event log cannot be read', () => {
  it('ends the stream (after retrying the read) instead of leaving it open without events; a reconnect with Last-Event-ID then gets them', async () => {
    const tenant = 'unreadable';
    const taskId = await queuedTask(tenant);
    await t.dataSource.query('ALTER TABLE task_events RENAME TO task_events_hidden');
    let hidden = true;
    try {
      const res = await t.call(`/v1/tasks/${taskId}/events`, { tenant });
      expect(res.status).toBe(200);
      const { messages } = await readSse(res, 20_000);
      expect(messages).toEqual([]);
      await t.dataSource.query('ALTER TABLE task_events_hidden RENAME TO task_events');
      hidden = false;
      // The reconnect is served; cancel the task so that stream closes after its terminal event.
      const again = await t.call(`/v1/tasks/${taskId}/events`, { tenant, headers: { 'last-event-id': '0' } });
      const reading = readSse(again, 10_000);
      expect((await t.call(`/v1/tasks/${taskId}/cancel`, { method: 'POST', tenant })).status).toBe(202);
      expect((await reading).messages.map((m) => [m.id, m.event])).toEqual([
        ['1', 'progress'],
        ['2', 'cancelled'],
      ]);
    } finally {
      if (hidden) await t.dataSource.query('ALTER TABLE task_events_hidden RENAME TO task_events');
    }
  });
});
