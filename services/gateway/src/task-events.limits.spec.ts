import { signTestToken } from '@spectest/auth';
import { watchTask } from '@spectest/client';
import { EVENT_TYPES, SOCKET_NAMESPACE, Stage, SubscribeAck, TaskEvent, TaskResult } from '@spectest/contracts';
import { TaskStore } from '@spectest/persistence';
import { ProgressWriter } from '@spectest/progress';
import { RunningService } from '@spectest/runtime';
import { TcpRelay, waitUntil } from '@spectest/testing';
import { Socket, io } from 'socket.io-client';
import { GatewayTestEnv, startGatewayTestEnv } from './testing/gateway-test-env';
import { TaskEventsGateway } from './task-events.gateway';
import { sampleTaskInput } from '../../../tests/support/task-input';

const SECRET = 'gateway-limits-secret-0123456789';
const RESULT: TaskResult = { caseCount: 1, foundationCaseCount: 1, aiCaseCount: 0, artifact: { url: 'u', bytes: 1, sha256: 's' } };

jest.setTimeout(60_000);

describe('TaskEventsGateway limits: connections per token, slow consumers (NATS, Postgres, real sockets)', () => {
  let env: GatewayTestEnv;
  let running: RunningService;
  let port: number;
  let writer: ProgressWriter;
  let store: TaskStore;
  let sockets: Socket[] = [];
  let proxy: TcpRelay | undefined;

  beforeAll(async () => {
    env = await startGatewayTestEnv('gateway-limits-test', SECRET, {
      MAX_CONNECTIONS_PER_TOKEN: '2',
      SOCKET_BUFFER_LIMIT: '20',
      SUBSCRIBE_RATE_PER_SOCKET: '5',
      SUBSCRIBE_BURST_PER_SOCKET: '10',
    });
    ({ running, writer, store } = env);
    port = Number(new URL(running.url).port);
  });

  afterEach(async () => {
    for (const s of sockets) s.disconnect();
    sockets = [];
    await proxy?.close();
    proxy = undefined;
  });

  afterAll(async () => {
    await env?.stop();
  });

  const tokenFor = (sub: string) => signTestToken(SECRET, { sub, tenant: 'acme' }, '1h');
  const open = (url: string, token: string | undefined, localAddress?: string): Promise<Socket> => {
    const s = io(`${url}${SOCKET_NAMESPACE}`, { auth: token === undefined ? {} : { token }, transports: ['websocket'], reconnection: false, forceNew: true, localAddress } as never);
    sockets.push(s);
    return new Promise((resolve, reject) => {
      s.once('connect', () => resolve(s));
      s.once('connect_error', reject);
    });
  };
  const createTask = async (): Promise<string> => {
    const { snapshot } = await writer.createTask(sampleTaskInput({ name: 'limits' }));
    return snapshot.taskId;
  };
  const waitFor = (what: string, cond: () => boolean) => waitUntil(what, cond, 30_000);
  const collect = (s: Socket, taskId: string): TaskEvent[] => {
    const got: TaskEvent[] = [];
    for (const name of EVENT_TYPES) s.on(name, (e: TaskEvent) => e.taskId === taskId && got.push(e));
    return got;
  };

  describe('MAX_CONNECTIONS_PER_TOKEN', () => {
    it('refuses one connection too many for a token with connect_error "limit_exceeded" and says why; other tokens are not affected', async () => {
      const token = await tokenFor('limited');
      await open(running.url, token);
      const second = await open(running.url, token);
      const refusal = await open(running.url, token).then(
        () => null,
        (err: Error & { data?: { code: string; message: string } }) => err,
      );
      expect(refusal?.message).toBe('limit_exceeded');
      expect(refusal?.data).toEqual({ code: 'limit_exceeded', message: expect.stringContaining('MAX_CONNECTIONS_PER_TOKEN') });
      expect((await open(running.url, await tokenFor('someone-else'))).connected).toBe(true);
      // A closed connection gives its slot back.
      second.disconnect();
      // The server counts the disconnect when it sees it: retry briefly.
      let again: Socket | null = null;
      for (let i = 0; i < 50 && !again; i++) {
        again = await open(running.url, token).catch(() => null);
        if (!again) await new Promise((r) => setTimeout(r, 20));
      }
      expect(again?.connected).toBe(true);
    });
  });

  describe('SUBSCRIBE_RATE_PER_SOCKET / SUBSCRIBE_BURST_PER_SOCKET', () => {
    it('answers subscribes past the burst with limit_exceeded and when to retry, and cuts off a socket that floods on; other sockets are not limited', async () => {
      const taskId = await createTask();
      const flooder = await open(running.url, await tokenFor('flooder'));
      const disconnected = new Promise<string>((resolve) => flooder.once('disconnect', resolve));
      const acks: SubscribeAck[] = [];
      for (let i = 0; i < 200; i++) flooder.emit('subscribe', { taskId }, (ack: SubscribeAck) => acks.push(ack));
      expect(await disconnected).toBe('io server disconnect');
      const ok = acks.filter((a) => a.ok);
      const refused = acks.filter((a): a is Extract<SubscribeAck, { ok: false }> => !a.ok);
      // The burst (10) is served (those acked before the cut); then refusals, each with when to retry,
      // until the socket has been refused twice the burst in a row.
      expect(ok.length).toBeLessThanOrEqual(10 + 2);
      expect(refused.length).toBeGreaterThanOrEqual(20);
      expect(refused.length).toBeLessThanOrEqual(21 + 2);
      for (const r of refused) {
        expect(r.error).toEqual({ code: 'limit_exceeded', message: expect.stringContaining('SUBSCRIBE_RATE_PER_SOCKET'), retryAfterMs: expect.any(Number) });
        expect(r.error.retryAfterMs).toBeGreaterThan(0);
        expect(r.error.retryAfterMs).toBeLessThanOrEqual(1_000);
      }
      // Another client (even of the same token) has its own allowance.
      const other = await open(running.url, await tokenFor('flooder'));
      expect((await other.timeout(5_000).emitWithAck('subscribe', { taskId })).ok).toBe(true);
    });

    it('serves a client that waits as it is told: every subscribe is acked ok in the end and the socket stays', async () => {
      const ids = await Promise.all(Array.from({ length: 25 }, () => createTask()));
      const s = await open(running.url, await tokenFor('patient'));
      let waits = 0;
      for (const taskId of ids) {
        for (;;) {
          const ack: SubscribeAck = await s.timeout(5_000).emitWithAck('subscribe', { taskId });
          if (ack.ok) break;
          expect(ack.error.code).toBe('limit_exceeded');
          waits++;
          await new Promise((r) => setTimeout(r, ack.error.retryAfterMs));
        }
      }
      // 25 subscribes at 5/s after a burst of 10: some waited, none was lost, the socket was never cut off.
      expect(waits).toBeGreaterThanOrEqual(1);
      expect(s.connected).toBe(true);
    });
    it('the SDK waits as told: 30 watches sharing one socket against a burst of 10 all end with their complete sequences', async () => {
      const token = await tokenFor('sdk-many');
      const ids = await Promise.all(Array.from({ length: 30 }, () => createTask()));
      const lasts: number[] = [];
      for (const taskId of ids) {
        const r = await writer.report(taskId, { type: 'completed', messageKey: 'task.completed', messageParams: { caseCount: 1 }, result: RESULT });
        if (!r.ok) throw new Error(r.detail);
        lasts.push(r.event.seq);
      }
      const events = ids.map(() => [] as TaskEvent[]);
      const states = ids.map(() => [] as string[]);
      const watches = ids.map((taskId, i) =>
        watchTask(taskId, { onEvent: (e) => events[i].push(e), onState: (st) => states[i].push(st) }, { gatewayUrls: [running.url], token, transports: ['socket'] }),
      );
      try {
        const results = await Promise.all(watches.map((w) => w.done));
        for (const r of results) expect(r).toMatchObject({ kind: 'ended', status: 'completed' });
        events.forEach((got, i) => expect(got.map((e) => e.seq)).toEqual(Array.from({ length: lasts[i] }, (_, k) => k + 1)));
        // Refused and retried on the same socket, never cut off (no reconnect).
        for (const st of states) expect(st).toEqual(['socket', 'ended']);
      } finally {
        for (const w of watches) w.close();
      }
    });
  });

  describe('dev mode (AUTH_MODE=dev): one connection bucket per client address, not one for all tokenless sockets', () => {
    let dev: GatewayTestEnv;
    beforeAll(async () => {
      dev = await startGatewayTestEnv('gateway-dev-limits-test', SECRET, { AUTH_MODE: 'dev', MAX_CONNECTIONS_PER_TOKEN: '2' });
    });
    afterAll(async () => {
      await dev?.stop();
    });

    it('refuses the third tokenless socket of one address, and still lets another address connect', async () => {
      const url = dev.running.url;
      await open(url, undefined, '127.0.0.2');
      await open(url, undefined, '127.0.0.2');
      const refusal = await open(url, undefined, '127.0.0.2').then(
        () => null,
        (err: Error) => err,
      );
      expect(refusal?.message).toBe('limit_exceeded');
      expect((await open(url, undefined, '127.0.0.3')).connected).toBe(true);
      expect((await open(url, undefined, '127.0.0.3')).connected).toBe(true);
    });
  });

  describe('token expiry with the SDK', () => {
    it('the gateway ends the socket when the token expires; the SDK reconnects with a fresh token and misses nothing', async () => {
      const taskId = await createTask();
      const events: TaskEvent[] = [];
      let issued = 0;
      // The first token expires in 2 s (mid-task), the ones after it in an hour.
      const token = () => signTestToken(SECRET, { sub: 'expiring', tenant: 'acme' }, issued++ === 0 ? Math.floor(Date.now() / 1000) + 2 : '1h');
      const watch = watchTask(taskId, { onEvent: (e) => events.push(e) }, { gatewayUrls: [running.url], token, transports: ['socket'], backoff: { initialDelayMs: 20, maxDelayMs: 200 } });
      try {
        let last = 0;
        for (let i = 0; i < 30; i++) {
          const r = await writer.report(taskId, { stage: 'enhancing', stageProgress: i / 30, messageKey: 'enhancing.calling', messageParams: { method: 'GET', path: `/p${i}` } });
          if (!r.ok) throw new Error(r.detail);
          await new Promise((r) => setTimeout(r, 120));
        }
        const done = await writer.report(taskId, { type: 'completed', messageKey: 'task.completed', messageParams: { caseCount: 1 }, result: RESULT });
        if (!done.ok) throw new Error(done.detail);
        last = done.event.seq;
        expect(await watch.done).toMatchObject({ kind: 'ended', status: 'completed' });
        expect(events.map((e) => e.seq)).toEqual(Array.from({ length: last }, (_, i) => i + 1));
        expect(issued).toBeGreaterThanOrEqual(2);
      } finally {
        watch.close();
      }
    });
  });

  describe('slow consumers', () => {
    const STAGES: Stage[] = ['parsing', 'foundation', 'enhancing', 'packaging'];
    const BIG = 'x'.repeat(64_000);

    /** 4 stages x perStage big progress events (64 KB each, to fill the kernel buffers fast), then completed. */
    const writeStages = async (taskId: string, perStage: number): Promise<{ firstOfStage: number[]; last: number }> => {
      const firstOfStage: number[] = [];
      for (const stage of STAGES) {
        for (let i = 0; i < perStage; i++) {
          const r = await writer.report(taskId, { stage, stageProgress: (i + 1) / (perStage + 1), messageKey: 'enhancing.calling', messageParams: { method: 'GET', path: BIG } });
          if (!r.ok) throw new Error(r.detail);
          if (i === 0) firstOfStage.push(r.event.seq);
        }
      }
      const done = await writer.report(taskId, { type: 'completed', messageKey: 'task.completed', messageParams: { caseCount: 1 }, result: RESULT });
      if (!done.ok) throw new Error(done.detail);
      return { firstOfStage, last: done.event.seq };
    };

    it('a socket that does not read does not hold the others back; it gets the latest progress, every stage start and the terminal event', async () => {
      const gateway = running.app.get(TaskEventsGateway);
      proxy = await TcpRelay.start({ port });
      const taskId = await createTask();
      const slow = await open(proxy.url, await tokenFor('slow'));
      const fast = await open(running.url, await tokenFor('fast'));
      const slowGot = collect(slow, taskId);
      const fastGot = collect(fast, taskId);
      for (const s of [slow, fast]) expect((await s.timeout(5_000).emitWithAck('subscribe', { taskId })).ok).toBe(true);
      await waitFor('seq 1 on both', () => slowGot.length === 1 && fastGot.length === 1);
      proxy.stall();
      const coalescedBefore = gateway.outboxStats().coalesced;
      const { firstOfStage, last } = await writeStages(taskId, 50);
      // The fast socket got everything, in order, while the slow one read nothing.
      await waitFor('the fast socket to get the terminal event', () => fastGot.at(-1)?.seq === last);
      expect(fastGot.map((e) => e.seq)).toEqual(Array.from({ length: last }, (_, i) => i + 1));
      // What waits for the slow socket is bounded: its coalesced queue, not the 200 events (13 MB) written.
      const stats = gateway.outboxStats();
      expect(stats.coalesced).toBeGreaterThan(coalescedBefore);
      expect(stats.pendingEvents).toBeLessThanOrEqual(STAGES.length * 2 + 1);
      proxy.resume();
      await waitFor('the slow socket to get the terminal event', () => slowGot.at(-1)?.seq === last);
      const seqs = slowGot.map((e) => e.seq);
      expect(seqs).toEqual([...seqs].sort((a, b) => a - b));
      expect(new Set(seqs).size).toBe(seqs.length);
      expect(seqs.length).toBeLessThan(last);
      for (const first of firstOfStage) expect(seqs).toContain(first);
      expect(slowGot.at(-1)?.type).toBe('completed');
    });

    it('the SDK fills the coalesced gaps from the log and ends with the complete sequence', async () => {
      proxy = await TcpRelay.start({ port });
      const taskId = await createTask();
      const events: TaskEvent[] = [];
      const watch = watchTask(taskId, { onEvent: (e) => events.push(e) }, { gatewayUrls: [proxy.url], token: await tokenFor('sdk'), transports: ['socket'] });
      try {
        await waitFor('seq 1', () => events.length === 1);
        proxy.stall();
        const { last } = await writeStages(taskId, 25);
        await new Promise((r) => setTimeout(r, 200));
        proxy.resume();
        expect(await watch.done).toMatchObject({ kind: 'ended', status: 'completed' });
        expect(events.map((e) => e.seq)).toEqual(Array.from({ length: last }, (_, i) => i + 1));
        expect(events).toEqual(await store.readEvents(taskId, 0, 1_000));
      } finally {
        watch.close();
      }
    });
  });
});
