import { signTestToken } from '@spectest/auth';
import { WatchResult, watchTask } from '@spectest/client';
import { EVENT_TYPES, SOCKET_NAMESPACE, SubscribeAck, TaskEvent, TaskResult } from '@spectest/contracts';
import { ProgressWriter } from '@spectest/progress';
import { withDeadline } from '@spectest/platform';
import { TcpRelay, waitUntil } from '@spectest/testing';
import { Client } from 'pg';
import { Socket, io } from 'socket.io-client';
import { GatewayTestEnv, startGatewayTestEnv } from './testing/gateway-test-env';
import { sampleTaskInput } from '../../../tests/support/task-input';

const SECRET = 'gateway-outage-secret-0123456789';
const RESULT: TaskResult = { caseCount: 1, foundationCaseCount: 1, aiCaseCount: 0, artifact: { url: 'u', bytes: 1, sha256: 's' } };
const range = (from: number, to: number): number[] => Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);

jest.setTimeout(60_000);

/**
 * The gateway when its database fails: cut off entirely (a TcpRelay between it and Postgres, so the
 * machine's Postgres keeps serving everyone else), or with the event log unreadable while the tasks
 * table still answers (task_events renamed away by an admin connection: every read of the log fails).
 */
describe('TaskEventsGateway under database faults (NATS, Postgres through a relay)', () => {
  let env: GatewayTestEnv;
  let relay: TcpRelay;
  let writer: ProgressWriter;
  let admin: Client;
  let sockets: Socket[] = [];
  let logHidden = false;

  beforeAll(async () => {
    env = await startGatewayTestEnv('gateway-outage-test', SECRET, { SUBSCRIBE_READ_TIMEOUT_MS: '1000' }, { relayDatabase: true });
    relay = env.databaseRelay!;
    writer = env.writer;
    admin = new Client({ connectionString: env.databaseUrl });
    await admin.connect();
  });

  afterEach(async () => {
    for (const s of sockets) s.disconnect();
    sockets = [];
    relay.resume();
    if (logHidden) await showLog();
  });

  afterAll(async () => {
    await admin?.end();
    await env?.stop();
  });

  const token = () => signTestToken(SECRET, { sub: 'alice', tenant: 'acme' }, '1h');
  const open = async (): Promise<Socket> => {
    const s = io(`${env.running.url}${SOCKET_NAMESPACE}`, { auth: { token: await token() }, transports: ['websocket'], reconnection: false, forceNew: true });
    sockets.push(s);
    return new Promise((resolve, reject) => {
      s.once('connect', () => resolve(s));
      s.once('connect_error', reject);
    });
  };
  const subscribe = (s: Socket, taskId: string, afterSeq = 0): Promise<SubscribeAck> => s.timeout(10_000).emitWithAck('subscribe', { taskId, afterSeq });
  const collect = (s: Socket, taskId: string): TaskEvent[] => {
    const got: TaskEvent[] = [];
    for (const name of EVENT_TYPES) s.on(name, (e: TaskEvent) => e.taskId === taskId && got.push(e));
    return got;
  };
  const createTask = async (events: number): Promise<string> => {
    const { snapshot } = await writer.createTask(sampleTaskInput({ name: 'outage' }));
    for (let i = 0; i < events; i++) {
      const r = await writer.report(snapshot.taskId, { stage: 'enhancing', stageProgress: i / events, messageKey: 'enhancing.calling', messageParams: { method: 'GET', path: `/p${i}` } });
      if (!r.ok) throw new Error(r.detail);
    }
    return snapshot.taskId;
  };
  const complete = async (taskId: string): Promise<number> => {
    const r = await writer.report(taskId, { type: 'completed', messageKey: 'task.completed', messageParams: { caseCount: 1 }, result: RESULT });
    if (!r.ok) throw new Error(r.detail);
    return r.event.seq;
  };
  /** Every read of the event log fails ("relation does not exist") while the tasks table still answers. */
  const hideLog = async () => {
    await admin.query('ALTER TABLE task_events RENAME TO task_events_hidden');
    logHidden = true;
  };
  const showLog = async () => {
    await admin.query('ALTER TABLE task_events_hidden RENAME TO task_events');
    logHidden = false;
  };
  const waitFor = (what: string, cond: () => boolean) => waitUntil(what, cond, 20_000);

  it('acknowledges every subscribe while the database is unreachable with unavailable, and serves again once it is back', async () => {
    const taskId = await createTask(5);
    const clients = await Promise.all(range(1, 3).map(() => open()));
    relay.cut();
    const acks = await Promise.all(clients.flatMap((s) => range(1, 6).map(() => subscribe(s, taskId))));
    expect(acks).toHaveLength(18);
    for (const ack of acks) expect(ack).toEqual({ ok: false, error: { code: 'unavailable', message: expect.any(String) } });
    relay.resume();
    const got = collect(clients[0], taskId);
    let ack: SubscribeAck | undefined;
    // The pool reconnects on its next query.
    for (let i = 0; i < 50 && !ack?.ok; i++) {
      ack = await subscribe(clients[0], taskId);
      if (!ack.ok) await new Promise((r) => setTimeout(r, 100));
    }
    expect(ack?.ok).toBe(true);
    await waitFor('the replay', () => got.length === 6);
    expect(got.map((e) => e.seq)).toEqual(range(1, 6));
  });

  it('acknowledges a subscribe whose database does not answer at all with unavailable, within SUBSCRIBE_READ_TIMEOUT_MS', async () => {
    const taskId = await createTask(3);
    const s = await open();
    // Postgres's answers stop reaching the gateway (a partition, a database that hangs): reads never return.
    relay.stall();
    const t0 = Date.now();
    const acks = await Promise.all(range(1, 3).map(() => subscribe(s, taskId)));
    for (const ack of acks) expect(ack).toEqual({ ok: false, error: { code: 'unavailable', message: expect.any(String) } });
    // One at a time on the socket, each within its bound (1 s here), well before a client's own timeout.
    expect(Date.now() - t0).toBeLessThan(8_000);
    relay.cut();
    relay.resume();
    const got = collect(s, taskId);
    let ack: SubscribeAck | undefined;
    for (let i = 0; i < 50 && !ack?.ok; i++) {
      ack = await subscribe(s, taskId);
      if (!ack.ok) await new Promise((r) => setTimeout(r, 100));
    }
    expect(ack?.ok).toBe(true);
    await waitFor('the replay', () => got.length === 4);
  });

  it('retries a replay read that fails, and delivers every event once the log can be read again', async () => {
    const taskId = await createTask(40);
    const s = await open();
    const got = collect(s, taskId);
    const errors: unknown[] = [];
    s.on('subscription_error', (e: unknown) => errors.push(e));
    await hideLog();
    expect((await subscribe(s, taskId)).ok).toBe(true);
    // The first reads fail; the log comes back within the retries.
    await new Promise((r) => setTimeout(r, 300));
    await showLog();
    await waitFor('the replay', () => got.length === 41);
    const last = await complete(taskId);
    await waitFor('the terminal event', () => got.at(-1)?.seq === last);
    expect(got.map((e) => e.seq)).toEqual(range(1, last));
    expect(errors).toEqual([]);
  });

  it('tells the socket when the replay keeps failing (subscription_error), instead of leaving it waiting', async () => {
    const taskId = await createTask(10);
    const s = await open();
    const got = collect(s, taskId);
    const ended = new Promise<unknown>((resolve) => s.once('subscription_error', resolve));
    await hideLog();
    expect((await subscribe(s, taskId)).ok).toBe(true);
    expect(await withDeadline(ended, 20_000, 'subscription_error')).toEqual({ taskId, error: { code: 'unavailable', message: expect.any(String) } });
    expect(got).toEqual([]);
    await showLog();
    // Subscribing again from the last seq it has (none) gets everything.
    expect((await subscribe(s, taskId)).ok).toBe(true);
    await waitFor('the replay', () => got.length === 11);
    expect(got.map((e) => e.seq)).toEqual(range(1, 11));
  });

  it('the SDK resubscribes from its last seq after a failed replay and after unavailable acks, and ends with the complete sequence', async () => {
    const taskId = await createTask(20);
    const events: TaskEvent[] = [];
    const backoff = { initialDelayMs: 50, maxDelayMs: 500 };
    // One watch starts while the log cannot be read, one while the database is unreachable.
    await hideLog();
    const a = watchTask(taskId, { onEvent: (e) => events.push(e) }, { gatewayUrls: [env.running.url], token, transports: ['socket'], backoff });
    const bEvents: TaskEvent[] = [];
    let b: ReturnType<typeof watchTask> | undefined;
    try {
      await new Promise((r) => setTimeout(r, 4_000));
      relay.cut();
      b = watchTask(taskId, { onEvent: (e) => bEvents.push(e) }, { gatewayUrls: [env.running.url], token, transports: ['socket'], backoff });
      await new Promise((r) => setTimeout(r, 1_500));
      await showLog();
      relay.resume();
      const last = await complete(taskId);
      const results: WatchResult[] = await withDeadline(Promise.all([a.done, b.done]), 30_000, 'both watches ended');
      for (const r of results) expect(r).toMatchObject({ kind: 'ended', status: 'completed' });
      expect(events.map((e) => e.seq)).toEqual(range(1, last));
      expect(bEvents.map((e) => e.seq)).toEqual(range(1, last));
    } finally {
      a.close();
      b?.close();
    }
  });
});
