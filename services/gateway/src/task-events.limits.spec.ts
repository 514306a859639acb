import { signTestToken } from '@spectest/auth';
import { watchTask } from '@spectest/client';
import { SOCKET_NAMESPACE, Stage, TaskEvent, TaskResult } from '@spectest/contracts';
import { TaskStore } from '@spectest/persistence';
import { ProgressWriter } from '@spectest/progress';
import { RunningService } from '@spectest/runtime';
import { AddressInfo, Server, Socket as NetSocket, createServer, connect as netConnect } from 'node:net';
import { Socket, io } from 'socket.io-client';
import { GatewayTestEnv, startGatewayTestEnv } from './testing/gateway-test-env';
import { TaskEventsGateway } from './task-events.gateway';
import { sampleTaskInput } from '../../../tests/support/task-input';

const SECRET = 'gateway-limits-secret-0123456789';
const RESULT: TaskResult = { caseCount: 1, foundationCaseCount: 1, aiCaseCount: 0, artifact: { url: 'u', bytes: 1, sha256: 's' } };
const EVENT_NAMES = ['progress', 'completed', 'failed', 'cancelled'] as const;

/** A TCP relay to the gateway whose gateway->client direction can be stopped: a client that does not read. */
class StallableProxy {
  private readonly pairs: { client: NetSocket; upstream: NetSocket }[] = [];
  private stalled = false;
  private constructor(readonly server: Server) {}

  static async start(target: number): Promise<StallableProxy> {
    const server = createServer();
    const proxy = new StallableProxy(server);
    server.on('connection', (client) => {
      const upstream = netConnect(target, '127.0.0.1');
      client.pipe(upstream);
      if (!proxy.stalled) upstream.pipe(client);
      else upstream.pause();
      const drop = () => {
        client.destroy();
        upstream.destroy();
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
      proxy.pairs.push({ client, upstream });
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    return proxy;
  }

  get url(): string {
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }

  stall(): void {
    this.stalled = true;
    for (const { client, upstream } of this.pairs) {
      upstream.unpipe(client);
      upstream.pause();
    }
  }

  resume(): void {
    this.stalled = false;
    for (const { client, upstream } of this.pairs) upstream.pipe(client);
  }

  async close(): Promise<void> {
    for (const { client, upstream } of this.pairs) {
      client.destroy();
      upstream.destroy();
    }
    await new Promise<void>((r) => this.server.close(() => r()));
  }
}

jest.setTimeout(60_000);

describe('TaskEventsGateway limits: connections per token, slow consumers (NATS, Postgres, real sockets)', () => {
  let env: GatewayTestEnv;
  let running: RunningService;
  let port: number;
  let writer: ProgressWriter;
  let store: TaskStore;
  let sockets: Socket[] = [];
  let proxy: StallableProxy | undefined;

  beforeAll(async () => {
    env = await startGatewayTestEnv('gateway-limits-test', SECRET, { MAX_CONNECTIONS_PER_TOKEN: '2', SOCKET_BUFFER_LIMIT: '20' });
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
  const open = (url: string, token: string): Promise<Socket> => {
    const s = io(`${url}${SOCKET_NAMESPACE}`, { auth: { token }, transports: ['websocket'], reconnection: false, forceNew: true });
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
  const waitFor = async (what: string, cond: () => boolean, timeoutMs = 30_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!cond()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  const collect = (s: Socket, taskId: string): TaskEvent[] => {
    const got: TaskEvent[] = [];
    for (const name of EVENT_NAMES) s.on(name, (e: TaskEvent) => e.taskId === taskId && got.push(e));
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
      proxy = await StallableProxy.start(port);
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
      proxy = await StallableProxy.start(port);
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
