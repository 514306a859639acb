import { signTestToken } from '@spectest/auth';
import { TaskEvent, TaskEventSchema, TaskSnapshot, isTerminalEvent } from '@spectest/contracts';
import { createHash } from 'node:crypto';
import { IntakeTestApp, SseMessage, TEST_JWT_SECRET, fixture, readSse, startIntakeTestApp } from './testing/intake-test-app';

/** The whole pipeline in one process over the machine's NATS (JetStream work, core fan-out of events). */
// Generous: other suites share the 2 cores, and the first parse of a process starts the validator worker.
jest.setTimeout(30_000);

let t: IntakeTestApp;
let done: TaskSnapshot;
const tenant = 'acme';
beforeAll(async () => {
  t = await startIntakeTestApp({ broker: 'nats' });
  const res = await t.submit({ spec: fixture('petstore.yaml'), name: 'petstore' }, tenant, { prefer: 'wait=30' });
  expect(res.status).toBe(200);
  done = await res.json();
  expect(done.status).toBe('completed');
});
afterAll(async () => {
  await t?.stop();
});

const events = (path: string, init: Parameters<IntakeTestApp['call']>[1] = {}) => t.call(path, { tenant, ...init });
const parsed = (messages: SseMessage[]): TaskEvent[] => messages.map((m) => TaskEventSchema.parse(JSON.parse(m.data)));

describe('GET /v1/tasks/{id}/events', () => {
  it('replays every event from seq 1 with id/event/data, ends with the terminal one, and closes', async () => {
    const res = await events(`/v1/tasks/${done.taskId}/events`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toMatch(/^text\/event-stream/);
    expect(res.headers.get('cache-control')).toContain('no-cache');
    const { messages } = await readSse(res);
    const list = parsed(messages);
    expect(list.map((e) => e.seq)).toEqual(Array.from({ length: done.seq }, (_, i) => i + 1));
    for (const [i, m] of messages.entries()) {
      expect(m.id).toBe(String(list[i].seq));
      expect(m.event).toBe(list[i].type);
      expect(list[i].taskId).toBe(done.taskId);
    }
    expect(list.filter(isTerminalEvent).map((e) => e.type)).toEqual(['completed']);
    const last = list.at(-1)!;
    expect(last).toMatchObject({ type: 'completed', progress: 100, result: { artifact: { sha256: done.result!.artifact.sha256 } } });
    const progress = list.map((e) => e.progress);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    // the stored log is what was sent
    const stored = await t.dataSource.query('SELECT seq, type FROM task_events WHERE task_id = $1 ORDER BY seq', [done.taskId]);
    expect(stored.map((r: { seq: number; type: string }) => [r.seq, r.type])).toEqual(list.map((e) => [e.seq, e.type]));
    // and the snapshot ends where the stream ended
    const snapshot = await (await events(`/v1/tasks/${done.taskId}`)).json();
    expect(snapshot.seq).toBe(last.seq);
  });

  it('resumes after Last-Event-ID and after ?after=, with nothing missing or repeated', async () => {
    const k = Math.floor(done.seq / 2);
    const byHeader = parsed((await readSse(await events(`/v1/tasks/${done.taskId}/events`, { headers: { 'last-event-id': String(k) } }))).messages);
    expect(byHeader.map((e) => e.seq)).toEqual(Array.from({ length: done.seq - k }, (_, i) => k + 1 + i));
    const byQuery = parsed((await readSse(await events(`/v1/tasks/${done.taskId}/events?after=${k}`))).messages);
    expect(byQuery).toEqual(byHeader);
    // an EventSource opened with ?after= reconnects with Last-Event-ID on the same URL: the header wins
    const reconnect = parsed((await readSse(await events(`/v1/tasks/${done.taskId}/events?after=1`, { headers: { 'last-event-id': String(k) } }))).messages);
    expect(reconnect).toEqual(byHeader);
    const lastOnly = parsed((await readSse(await events(`/v1/tasks/${done.taskId}/events?after=${done.seq - 1}`))).messages);
    expect(lastOnly.map((e) => [e.seq, e.type])).toEqual([[done.seq, 'completed']]);
  });

  it('after the last seq of an ended task: 200 and an immediately closed stream with no event', async () => {
    const { messages } = await readSse(await events(`/v1/tasks/${done.taskId}/events?after=${done.seq}`), 2000);
    expect(messages).toEqual([]);
  });

  it('`after` beyond the last seq, negative or not a number is 400, never a 500', async () => {
    for (const q of [`after=${done.seq + 1}`, 'after=-1', 'after=abc', 'after=1.5']) {
      const res = await events(`/v1/tasks/${done.taskId}/events?${q}`);
      expect(res.status).toBe(400);
      expect(await res.json()).toMatchObject({ code: 'invalid_request' });
    }
    const res = await events(`/v1/tasks/${done.taskId}/events`, { headers: { 'last-event-id': String(done.seq + 5) } });
    expect(res.status).toBe(400);
  });

  it('streams a live task from seq 1 to its terminal event, in order, the same as GET at the end', async () => {
    const { taskId } = await (await t.submit({ spec: fixture('bookstore.openapi31.yaml'), name: 'bookstore' }, tenant)).json();
    const token = await t.token(tenant);
    const res = await t.call(`/v1/tasks/${taskId}/events?access_token=${token}`, { auth: false });
    expect(res.status).toBe(200);
    const list = parsed((await readSse(res, 20_000)).messages);
    expect(list.map((e) => e.seq)).toEqual(list.map((_, i) => i + 1));
    expect(list.at(-1)!.type).toBe('completed');
    const snapshot = await (await events(`/v1/tasks/${taskId}`)).json();
    expect(snapshot).toMatchObject({ status: 'completed', seq: list.at(-1)!.seq, progress: 100 });
  });
});

describe('GET /v1/tasks/{id}/artifact', () => {
  it('200 application/zip with Content-Length and the sha256 of the bytes as ETag, equal to the snapshot', async () => {
    const res = await events(`/v1/tasks/${done.taskId}/artifact`);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/zip');
    const bytes = Buffer.from(await res.arrayBuffer());
    expect(Number(res.headers.get('content-length'))).toBe(bytes.length);
    expect(bytes.length).toBe(done.result!.artifact.bytes);
    expect(bytes.subarray(0, 4)).toEqual(Buffer.from([0x50, 0x4b, 0x03, 0x04]));
    const sha = createHash('sha256').update(bytes).digest('hex');
    expect(done.result!.artifact.sha256).toBe(sha);
    expect(res.headers.get('etag')).toBe(`"${sha}"`);
    expect(res.headers.get('content-disposition')).toBe('attachment; filename="petstore-tests.zip"');
  });

  it('If-None-Match with the ETag is 304 with no body; another ETag gets the ZIP', async () => {
    const etag = `"${done.result!.artifact.sha256}"`;
    const notModified = await events(`/v1/tasks/${done.taskId}/artifact`, { headers: { 'if-none-match': etag } });
    expect(notModified.status).toBe(304);
    expect(notModified.headers.get('etag')).toBe(etag);
    expect((await notModified.arrayBuffer()).byteLength).toBe(0);
    const list = await events(`/v1/tasks/${done.taskId}/artifact`, { headers: { 'if-none-match': `"other", ${etag}` } });
    expect(list.status).toBe(304);
    const changed = await events(`/v1/tasks/${done.taskId}/artifact`, { headers: { 'if-none-match': '"other"' } });
    expect(changed.status).toBe(200);
    expect((await changed.arrayBuffer()).byteLength).toBe(done.result!.artifact.bytes);
  });
});

describe('tenant isolation', () => {
  it("another tenant gets 404 not_found for the task everywhere, and its list does not show it", async () => {
    const other = 'intruder';
    for (const [method, path] of [
      ['GET', `/v1/tasks/${done.taskId}`],
      ['GET', `/v1/tasks/${done.taskId}/events`],
      ['GET', `/v1/tasks/${done.taskId}/events?after=1`],
      ['GET', `/v1/tasks/${done.taskId}/artifact`],
      ['POST', `/v1/tasks/${done.taskId}/cancel`],
    ] as const) {
      const res = await t.call(path, { method, tenant: other });
      expect({ path, status: res.status }).toEqual({ path, status: 404 });
      const body = await res.json();
      expect(body).toMatchObject({ code: 'not_found' });
      expect(JSON.stringify(body)).not.toContain(tenant);
    }
    // the same as for an id that does not exist
    const missing = await (await t.call('/v1/tasks/00000000-0000-4000-8000-000000000000', { tenant: other })).json();
    const hidden = await (await t.call(`/v1/tasks/${done.taskId}`, { tenant: other })).json();
    expect(hidden).toEqual(missing);
    const list = await (await t.call('/v1/tasks', { tenant: other })).json();
    expect(list).toEqual({ items: [], nextCursor: null });
    // the owner's task was not touched by the other tenant's cancel
    expect((await (await events(`/v1/tasks/${done.taskId}`)).json()).status).toBe('completed');
  });

  it('the tenant claim decides, not the subject: two users of one tenant share its tasks', async () => {
    const colleague = await signTestToken(TEST_JWT_SECRET, { sub: 'colleague', tenant });
    const res = await t.call(`/v1/tasks/${done.taskId}`, { auth: false, headers: { authorization: `Bearer ${colleague}` } });
    expect(res.status).toBe(200);
    const sameSubOtherTenant = await signTestToken(TEST_JWT_SECRET, { sub: `user-of-${tenant}`, tenant: 'elsewhere' });
    expect((await t.call(`/v1/tasks/${done.taskId}`, { auth: false, headers: { authorization: `Bearer ${sameSubOtherTenant}` } })).status).toBe(404);
  });
});
