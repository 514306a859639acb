import { signTestToken } from '@spectest/auth';
import { TaskWatch, WatchOptions, WatchResult, WatchState, watchTask } from '@spectest/client';
import { TaskEvent, TaskSnapshot, isTerminalEvent } from '@spectest/contracts';
import { freePort } from '@spectest/testing';
import { randomUUID } from 'node:crypto';
import { TaskSocket, collectSocketEvents, connectSocket, subscribe, withTimeout } from './full/clients';
import { RunningCluster, ServiceProcess, startCluster } from './full/cluster';
import { TaskEmitter } from './realtime/task-emitter';

jest.setTimeout(60_000);

const range = (from: number, to: number): number[] => Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);

interface Watcher {
  watch: TaskWatch;
  events: TaskEvent[];
  snapshots: TaskSnapshot[];
  states: WatchState[];
  done: Promise<WatchResult>;
}

/**
 * Delivery across gateway replicas: gateway processes on different ports over the same NATS and
 * Postgres (plus intake for the SSE and polling fallbacks). Tasks are written by the test through the
 * real ProgressWriter, at a few hundred events a second, while clients drop, hop replicas, and
 * gateways are SIGKILLed and restarted.
 */
describe('realtime delivery: gateway replicas, the client SDK, kill and restart', () => {
  let cluster: RunningCluster;
  let gatewayB: ServiceProcess;
  let emitter: TaskEmitter;
  let token: string;
  const sockets: TaskSocket[] = [];
  const watches: TaskWatch[] = [];

  beforeAll(async () => {
    cluster = await startCluster({}, { services: ['intake', 'gateway'] });
    gatewayB = await cluster.startGateway();
    emitter = await TaskEmitter.connect(cluster.databaseUrl, cluster.natsUrl, cluster.natsPrefix);
    token = await signTestToken(cluster.secret, { sub: 'alice', tenant: 'acme' });
  }, 120_000);

  afterEach(() => {
    for (const s of sockets.splice(0)) s.close();
    for (const w of watches.splice(0)) w.close();
  });

  afterAll(async () => {
    await emitter?.close();
    await cluster?.stop();
  });

  const quickBackoff = { initialDelayMs: 50, maxDelayMs: 400 };
  const watch = (taskId: string, options: Partial<WatchOptions> & Pick<WatchOptions, 'gatewayUrls'>): Watcher => {
    const events: TaskEvent[] = [];
    const snapshots: TaskSnapshot[] = [];
    const states: WatchState[] = [];
    const w = watchTask(
      taskId,
      { onEvent: (e) => events.push(e), onSnapshot: (s) => snapshots.push(s), onState: (s) => states.push(s) },
      { token, backoff: quickBackoff, ...options },
    );
    watches.push(w);
    return { watch: w, events, snapshots, states, done: w.done };
  };
  const waitUntil = async (what: string, cond: () => boolean, timeoutMs = 20_000) => {
    const deadline = Date.now() + timeoutMs;
    while (!cond()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  };
  /** Sockets the gateway holds open, from its /metrics. */
  const socketsOn = async (url: string): Promise<number> => {
    const text = await (await fetch(`${url}/metrics`)).text();
    const m = /^spectest_sockets_connected(?:{[^}]*})? (\d+)/m.exec(text);
    return m ? Number(m[1]) : -1;
  };
  /** The socket count once it reaches `want` (or what it is after a few seconds). */
  const pollSockets = async (url: string, want: number): Promise<number> => {
    const deadline = Date.now() + 5_000;
    let n = await socketsOn(url);
    while (n !== want && Date.now() < deadline) {
      await new Promise((r) => setTimeout(r, 50));
      n = await socketsOn(url);
    }
    return n;
  };
  const socketOn = async (url: string) => {
    const s = await connectSocket(url, token);
    sockets.push(s);
    return s;
  };

  it('raw clients hop between the two replicas, resubscribing with the last seq, and end with the complete sequence', async () => {
    const urls = [cluster.urls.gateway, gatewayB.url];
    const taskId = await emitter.createTask('acme');
    const writing = emitter.run(taskId, 12, 25, 15);
    const clients = await Promise.all(
      range(0, 3).map(async (c) => {
        const seen: TaskEvent[] = [];
        for (let hop = 0; ; hop++) {
          const socket = await socketOn(urls[(c + hop) % 2]);
          const live = collectSocketEvents(socket, taskId);
          const ack = await subscribe(socket, taskId, seen.at(-1)?.seq ?? 0);
          expect(ack.ok).toBe(true);
          // Stay for a few events, then drop and go to the other replica; the last hop stays to the end.
          if (hop < 4) await waitUntil('a few events', () => live.events.length >= 15 + c || live.events.some(isTerminalEvent));
          else await withTimeout(live.ended, 30_000, 'terminal event');
          socket.close();
          seen.push(...live.events);
          if (seen.at(-1)?.type === 'completed') return seen;
        }
      }),
    );
    const last = await writing;
    for (const seen of clients) expect(seen.map((e) => e.seq)).toEqual(range(1, last));
  });

  it('SDK watchers on either replica miss nothing when one gateway is SIGKILLed mid-task', async () => {
    const taskId = await emitter.createTask('acme');
    await emitter.progress(taskId, 20);
    const watchers = range(0, 7).map((i) =>
      watch(taskId, { gatewayUrls: i % 2 === 0 ? [gatewayB.url, cluster.urls.gateway] : [cluster.urls.gateway, gatewayB.url], transports: ['socket'] }),
    );
    const writing = emitter.run(taskId, 16, 20, 20);
    await waitUntil('every watcher live', () => watchers.every((w) => w.events.length > 40));
    expect(await cluster.stopService('gateway', 'SIGKILL')).toBeNull();
    const last = await writing;
    const results = await withTimeout(Promise.all(watchers.map((w) => w.done)), 30_000, 'every watcher ended');
    for (const r of results) expect(r).toMatchObject({ kind: 'ended', status: 'completed' });
    for (const w of watchers) {
      expect(w.events.map((e) => e.seq)).toEqual(range(1, last));
      expect(w.events.at(-1)?.type).toBe('completed');
    }
    // Those that started on the killed replica went through a reconnect.
    expect(watchers.filter((w) => w.states.includes('reconnecting')).length).toBeGreaterThanOrEqual(4);
  });

  it('SDK watchers resume after a gateway restart (process killed, a new one started on the same port)', async () => {
    const gateway = await cluster.startGateway();
    const taskId = await emitter.createTask('acme');
    const watchers = range(0, 3).map(() => watch(taskId, { gatewayUrls: [gateway.url], transports: ['socket'] }));
    const writing = emitter.run(taskId, 20, 15, 20);
    await waitUntil('every watcher live', () => watchers.every((w) => w.events.length > 20));
    await gateway.stop('SIGKILL');
    // Down long enough for every watcher to fail a few reconnects while events keep coming.
    await new Promise((r) => setTimeout(r, 700));
    const restarted = await cluster.startGateway(gateway.port);
    const last = await writing;
    const results = await withTimeout(Promise.all(watchers.map((w) => w.done)), 30_000, 'every watcher ended');
    for (const r of results) expect(r).toMatchObject({ kind: 'ended', status: 'completed' });
    for (const w of watchers) {
      expect(w.events.map((e) => e.seq)).toEqual(range(1, last));
      expect(w.states).toContain('reconnecting');
    }
    await restarted.stop();
  });

  it('SDK watches in one process share one socket per gateway and token; the last unwatch closes it', async () => {
    const gateway = await cluster.startGateway();
    try {
      const ids = await Promise.all(range(1, 6).map(() => emitter.createTask('acme')));
      const watchers = ids.map((taskId) => watch(taskId, { gatewayUrls: [gateway.url], transports: ['socket'] }));
      await waitUntil('every watcher subscribed', () => watchers.every((w) => w.events.length >= 1));
      expect(await socketsOn(gateway.url)).toBe(1);
      // Another token is another socket (the gateway checks the token per connection).
      const otherToken = await signTestToken(cluster.secret, { sub: 'bob', tenant: 'acme' });
      const other = watch(ids[0], { gatewayUrls: [gateway.url], transports: ['socket'], token: otherToken });
      await waitUntil('the other token subscribed', () => other.events.length >= 1);
      expect(await socketsOn(gateway.url)).toBe(2);
      other.watch.close();
      // Events of all six tasks, interleaved on the one socket, each routed to its own watch.
      const lasts = await Promise.all(ids.slice(0, 4).map((taskId) => emitter.run(taskId, 5, 10, 10)));
      const results = await withTimeout(Promise.all(watchers.slice(0, 4).map((w) => w.done)), 20_000, 'four watches ended');
      for (const r of results) expect(r).toMatchObject({ kind: 'ended', status: 'completed' });
      watchers.slice(0, 4).forEach((w, i) => expect(w.events.map((e) => e.seq)).toEqual(range(1, lasts[i])));
      // Two watches left: the socket stays while one is left, and goes with the last.
      expect(await socketsOn(gateway.url)).toBe(1);
      watchers[4].watch.close();
      await new Promise((r) => setTimeout(r, 200));
      expect(await socketsOn(gateway.url)).toBe(1);
      watchers[5].watch.close();
      expect(await pollSockets(gateway.url, 0)).toBe(0);
    } finally {
      await gateway.stop();
    }
  });

  it('SDK opens another shared socket when one is full (maxTasksPerSocket, or the gateway answering limit_exceeded)', async () => {
    const gateway = await cluster.startGateway(undefined, { MAX_SUBSCRIPTIONS_PER_SOCKET: '2' });
    try {
      const ids = await Promise.all(range(1, 5).map(() => emitter.createTask('acme')));
      // The SDK would put 100 tasks on a socket; this gateway takes 2 per socket and refuses the third.
      const watchers = ids.map((taskId) => watch(taskId, { gatewayUrls: [gateway.url], transports: ['socket'] }));
      const lasts = await Promise.all(ids.map((taskId) => emitter.run(taskId, 3, 5, 10)));
      const results = await withTimeout(Promise.all(watchers.map((w) => w.done)), 20_000, 'every watcher ended');
      for (const r of results) expect(r).toMatchObject({ kind: 'ended', status: 'completed' });
      watchers.forEach((w, i) => expect(w.events.map((e) => e.seq)).toEqual(range(1, lasts[i])));
      // With the limit known up front, no refusal: 5 tasks at 2 a socket are 3 sockets.
      const more = await Promise.all(range(1, 5).map(() => emitter.createTask('acme')));
      const sized = more.map((taskId) => watch(taskId, { gatewayUrls: [gateway.url], transports: ['socket'], maxTasksPerSocket: 2 }));
      await waitUntil('every watcher subscribed', () => sized.every((w) => w.events.length >= 1));
      expect(await socketsOn(gateway.url)).toBe(3);
      expect(sized.flatMap((w) => w.states).filter((s) => s === 'reconnecting')).toEqual([]);
    } finally {
      await gateway.stop();
    }
  });

  it('SDK watches sharing a socket each resume with their own last seq after a gateway restart mid-task', async () => {
    const gateway = await cluster.startGateway();
    try {
      const ids = await Promise.all(range(1, 4).map(() => emitter.createTask('acme')));
      // Different starting points: one task already has events, one watch resumes from the middle.
      await emitter.progress(ids[0], 30);
      const watchers = ids.map((taskId, i) => watch(taskId, { gatewayUrls: [gateway.url], transports: ['socket'], afterSeq: i === 0 ? 10 : 0 }));
      const writing = Promise.all(ids.map((taskId, i) => emitter.run(taskId, 40, 2 + i * 2, 30)));
      await waitUntil('every watcher live', () => watchers.every((w) => w.events.length > 15));
      expect(await socketsOn(gateway.url)).toBe(1);
      await gateway.stop('SIGKILL');
      await new Promise((r) => setTimeout(r, 700));
      const restarted = await cluster.startGateway(gateway.port);
      try {
        const lasts = await writing;
        const results = await withTimeout(Promise.all(watchers.map((w) => w.done)), 30_000, 'every watcher ended');
        for (const r of results) expect(r).toMatchObject({ kind: 'ended', status: 'completed' });
        watchers.forEach((w, i) => {
          expect(w.events.map((e) => e.seq)).toEqual(range(i === 0 ? 11 : 1, lasts[i]));
          expect(w.states).toContain('reconnecting');
        });
        expect(await pollSockets(restarted.url, 0)).toBe(0);
      } finally {
        await restarted.stop();
      }
    } finally {
      await gateway.stop().catch(() => undefined);
    }
  });

  it('falls back to SSE when no gateway answers, and resumes there from the last seq', async () => {
    const taskId = await emitter.createTask('acme');
    await emitter.progress(taskId, 30);
    const w = watch(taskId, { gatewayUrls: ['http://127.0.0.1:1'], apiUrl: cluster.urls.intake, failuresBeforeFallback: 2, afterSeq: 10 });
    const last = await emitter.run(taskId, 5, 20, 10);
    expect(await withTimeout(w.done, 30_000, 'ended')).toMatchObject({ kind: 'ended', status: 'completed' });
    expect(w.events.map((e) => e.seq)).toEqual(range(11, last));
    expect(w.states).toContain('sse');
    expect(w.states).not.toContain('socket');
  });

  it('gives way to the socket again once a gateway answers, without losing or repeating an event', async () => {
    const port = await freePort();
    const taskId = await emitter.createTask('acme');
    const w = watch(taskId, { gatewayUrls: [`http://127.0.0.1:${port}`], apiUrl: cluster.urls.intake, failuresBeforeFallback: 2, retryPreferredAfterMs: 1_000 });
    await waitUntil('the SSE fallback', () => w.states.includes('sse'));
    const writing = emitter.run(taskId, 30, 5, 100);
    const gateway = await cluster.startGateway(port);
    try {
      await waitUntil('back on the socket', () => w.states.includes('socket'), 30_000);
      const last = await writing;
      expect(await withTimeout(w.done, 30_000, 'ended')).toMatchObject({ kind: 'ended', status: 'completed' });
      expect(w.events.map((e) => e.seq)).toEqual(range(1, last));
      expect(w.states.indexOf('socket')).toBeGreaterThan(w.states.indexOf('sse'));
    } finally {
      await gateway.stop();
    }
  });

  it('polls the snapshot over REST as the last resort and ends with the terminal snapshot', async () => {
    const taskId = await emitter.createTask('acme');
    const w = watch(taskId, { gatewayUrls: [], apiUrl: cluster.urls.intake, transports: ['polling'], pollIntervalMs: 50 });
    await waitUntil('a first snapshot', () => w.snapshots.length > 0);
    await emitter.progress(taskId, 5);
    await waitUntil('a newer snapshot', () => w.snapshots.some((s) => s.seq >= 6));
    const last = await emitter.complete(taskId);
    const result = await withTimeout(w.done, 10_000, 'ended');
    expect(result).toMatchObject({ kind: 'ended', status: 'completed', snapshot: { seq: last, status: 'completed' } });
    expect(w.events).toEqual([]);
    expect(w.states).toContain('polling');
  });

  it('stops with not_found for an unknown task and another tenant\'s task, on every transport', async () => {
    const foreign = await emitter.createTask('globex');
    for (const taskId of [randomUUID(), foreign]) {
      for (const transports of [['socket'], ['sse'], ['polling']] as const) {
        const w = watch(taskId, { gatewayUrls: [gatewayB.url], apiUrl: cluster.urls.intake, transports: [...transports] });
        expect(await withTimeout(w.done, 10_000, 'refusal')).toMatchObject({ kind: 'error', error: { code: 'not_found' } });
        expect(w.events).toEqual([]);
      }
    }
  });

  it('stops with unauthorized for a token the gateway refuses', async () => {
    const taskId = await emitter.createTask('acme');
    const w = watchTask(taskId, {}, { gatewayUrls: [gatewayB.url], token: 'not.a.jwt', transports: ['socket'], backoff: quickBackoff });
    watches.push(w);
    expect(await withTimeout(w.done, 10_000, 'refusal')).toMatchObject({ kind: 'error', error: { code: 'unauthorized' } });
  });
});
