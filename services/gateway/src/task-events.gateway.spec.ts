import { signTestToken } from '@spectest/auth';
import { EVENT_TYPES, SOCKET_NAMESPACE, SubscribeAck, TaskEvent, TaskResult } from '@spectest/contracts';
import { TaskStore } from '@spectest/persistence';
import { NewTaskInput, ProgressWriter, TaskEventHub, TaskFeeds } from '@spectest/progress';
import { RunningService } from '@spectest/runtime';
import { randomUUID } from 'node:crypto';
import { Socket, io } from 'socket.io-client';
import { GatewayTestEnv, startGatewayTestEnv } from './testing/gateway-test-env';
import { sampleTaskInput } from '../../../tests/support/task-input';

const SECRET = 'gateway-test-secret-0123456789';
const RESULT: TaskResult = { caseCount: 1, foundationCaseCount: 1, aiCaseCount: 0, artifact: { url: 'u', bytes: 1, sha256: 's' } };

interface Received {
  name: string;
  event: TaskEvent;
}

/** A socket.io-client on /tasks that records every event (with the name it came under) per task. */
class TestClient {
  readonly received: Received[] = [];
  constructor(readonly socket: Socket) {
    for (const name of EVENT_TYPES) socket.on(name, (event: TaskEvent) => this.received.push({ name, event }));
  }

  of(taskId: string): TaskEvent[] {
    return this.received.filter((r) => r.event.taskId === taskId).map((r) => r.event);
  }

  seqs(taskId: string): number[] {
    return this.of(taskId).map((e) => e.seq);
  }

  subscribe(req: unknown): Promise<SubscribeAck> {
    return this.socket.timeout(5_000).emitWithAck('subscribe', req);
  }

  unsubscribe(taskId: string): Promise<{ ok: boolean }> {
    return this.socket.timeout(5_000).emitWithAck('unsubscribe', { taskId });
  }

  async waitFor(what: string, cond: () => boolean, timeoutMs = 8_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    while (!cond()) {
      if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; got ${JSON.stringify(this.received.map((r) => [r.event.taskId.slice(0, 4), r.event.seq]))}`);
      await new Promise((r) => setTimeout(r, 10));
    }
  }
}

const range = (from: number, to: number): number[] => Array.from({ length: Math.max(0, to - from + 1) }, (_, i) => from + i);

jest.setTimeout(20_000);

describe('TaskEventsGateway over a real socket.io-client (NATS, Postgres)', () => {
  let env: GatewayTestEnv;
  let running: RunningService;
  let url: string;
  let writer: ProgressWriter;
  let store: TaskStore;
  let clients: Socket[] = [];

  beforeAll(async () => {
    env = await startGatewayTestEnv('gateway-test', SECRET, { MAX_SUBSCRIPTIONS_PER_SOCKET: '5' });
    ({ running, writer, store } = env);
    url = running.url;
  });

  afterEach(() => {
    for (const s of clients) s.disconnect();
    clients = [];
  });

  afterAll(async () => {
    await env?.stop();
  });

  const token = (tenant: string, expiresIn: string | number = '1h', secret = SECRET) => signTestToken(secret, { sub: `user-of-${tenant}`, tenant }, expiresIn);

  const rawSocket = (auth: Record<string, unknown> | undefined): Socket => {
    const s = io(`${url}${SOCKET_NAMESPACE}`, { auth, transports: ['websocket'], reconnection: false, forceNew: true });
    clients.push(s);
    return s;
  };

  const connect = async (tenant = 'acme'): Promise<TestClient> => {
    const s = rawSocket({ token: await token(tenant) });
    await new Promise<void>((resolve, reject) => {
      s.once('connect', () => resolve());
      s.once('connect_error', reject);
    });
    return new TestClient(s);
  };

  const connectError = (s: Socket): Promise<Error> =>
    new Promise((resolve, reject) => {
      s.once('connect', () => reject(new Error('connected, expected a refusal')));
      s.once('connect_error', resolve);
    });

  const createTask = async (tenant = 'acme'): Promise<string> => {
    const input: NewTaskInput = sampleTaskInput({ tenant, name: 'gw' });
    await writer.createTask(input);
    return input.taskId;
  };

  let tick = 0;
  const progress = async (taskId: string, count = 1): Promise<number> => {
    let seq = 0;
    for (let i = 0; i < count; i++) {
      tick = (tick + 1) % 1000;
      const r = await writer.report(taskId, { stage: 'enhancing', stageProgress: tick / 1000, messageKey: 'enhancing.calling', messageParams: { method: 'GET', path: `/p${i}` } });
      if (!r.ok) throw new Error(r.detail);
      seq = r.event.seq;
    }
    return seq;
  };
  const complete = async (taskId: string): Promise<number> => {
    const r = await writer.report(taskId, { type: 'completed', messageKey: 'task.completed', messageParams: { caseCount: 1 }, result: RESULT });
    if (!r.ok) throw new Error(r.detail);
    return r.event.seq;
  };

  describe('authentication at connect (AUTH_MODE=jwt)', () => {
    it('refuses a socket without a token with connect_error "unauthorized"', async () => {
      expect((await connectError(rawSocket(undefined))).message).toBe('unauthorized');
      expect((await connectError(rawSocket({ token: '' }))).message).toBe('unauthorized');
      expect((await connectError(rawSocket({ token: 42 }))).message).toBe('unauthorized');
    });

    it('refuses a bad signature, a garbage token and an expired token', async () => {
      const forged = await token('acme', '1h', 'another-secret-0123456789abcdef');
      const expired = await token('acme', Math.floor(Date.now() / 1000) - 60);
      for (const t of [forged, 'not.a.jwt', expired]) {
        expect((await connectError(rawSocket({ token: t }))).message).toBe('unauthorized');
      }
    });

    it('disconnects a socket when its token expires', async () => {
      const s = rawSocket({ token: await token('acme', Math.floor(Date.now() / 1000) + 2) });
      await new Promise<void>((resolve, reject) => {
        s.once('connect', () => resolve());
        s.once('connect_error', reject);
      });
      const reason = await new Promise<string>((resolve) => s.once('disconnect', resolve));
      expect(reason).toBe('io server disconnect');
    });

    it('closes every stream of a socket that disconnects', async () => {
      const hub = running.app.get(TaskEventHub);
      const c = await connect();
      const ids = [await createTask(), await createTask()];
      for (const taskId of ids) expect((await c.subscribe({ taskId })).ok).toBe(true);
      expect(hub.watchedTasks).toBe(2);
      c.socket.disconnect();
      const deadline = Date.now() + 3_000;
      while (hub.watchedTasks > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(hub.watchedTasks).toBe(0);
    });

    it('accepts a valid token', async () => {
      const c = await connect();
      expect(c.socket.connected).toBe(true);
    });
  });

  describe('subscribe', () => {
    it('acks with the snapshot, then emits every event in seq order under its type as event name', async () => {
      const taskId = await createTask();
      await progress(taskId, 3);
      const c = await connect();
      const ack = await c.subscribe({ taskId });
      expect(ack.ok).toBe(true);
      if (!ack.ok) return;
      expect(ack.snapshot).toEqual((await store.getForTenant(taskId, 'acme'))!.snapshot);
      expect(ack.snapshot.seq).toBe(4);
      await c.waitFor('replay', () => c.seqs(taskId).length >= 4);
      const last = await complete(taskId);
      await c.waitFor('completed', () => c.seqs(taskId).includes(last));
      expect(c.seqs(taskId)).toEqual(range(1, 5));
      expect(c.received.map((r) => r.name)).toEqual(['progress', 'progress', 'progress', 'progress', 'completed']);
      for (const r of c.received) expect(r.name).toBe(r.event.type);
      // What crossed the wire is the stored event, field for field.
      expect(c.of(taskId)).toEqual(await store.readEvents(taskId, 0, 100));
    });

    it('answers not_found for another tenant\'s task, an unknown id and a non-uuid id, and sends none of its events', async () => {
      const taskId = await createTask('acme');
      await progress(taskId, 2);
      const other = await connect('globex');
      expect(await other.subscribe({ taskId })).toEqual({ ok: false, error: { code: 'not_found' } });
      expect(await other.subscribe({ taskId: randomUUID() })).toEqual({ ok: false, error: { code: 'not_found' } });
      expect(await other.subscribe({ taskId: 'not-a-uuid' })).toEqual({ ok: false, error: { code: 'not_found' } });
      await progress(taskId, 1);
      await new Promise((r) => setTimeout(r, 200));
      expect(other.received).toEqual([]);
    });

    it('answers invalid for a malformed payload or an afterSeq beyond the last event', async () => {
      const taskId = await createTask();
      const c = await connect();
      for (const bad of [{}, { taskId: 5 }, { taskId, afterSeq: -1 }, { taskId, afterSeq: 1.5 }, { taskId, afterSeq: '1' }, 'x', null]) {
        const ack = await c.subscribe(bad);
        expect([bad, ack.ok, !ack.ok && ack.error.code]).toEqual([bad, false, 'invalid']);
      }
      const beyond = await c.subscribe({ taskId, afterSeq: 2 });
      expect(!beyond.ok && beyond.error.code).toBe('invalid');
      // The socket stays usable after refusals.
      expect((await c.subscribe({ taskId, afterSeq: 1 })).ok).toBe(true);
    });

    it('replays after afterSeq, then goes live while events are written during the replay: no gap, no duplicate', async () => {
      const taskId = await createTask();
      await progress(taskId, 150);
      const c = await connect();
      // The writer keeps going while the gateway reads the replay.
      const writing = (async () => {
        await progress(taskId, 100);
        return complete(taskId);
      })();
      const ack = await c.subscribe({ taskId, afterSeq: 40 });
      expect(ack.ok).toBe(true);
      const last = await writing;
      await c.waitFor('the terminal event', () => c.seqs(taskId).includes(last), 15_000);
      expect(c.seqs(taskId)).toEqual(range(41, last));
      expect(c.received.at(-1)?.name).toBe('completed');
    });

    it('stops sending a task\'s events after unsubscribe, even right after the subscribe ack', async () => {
      const a = await createTask();
      const sentinel = await createTask();
      await progress(a, 50);
      const c = await connect();
      expect((await c.subscribe({ taskId: sentinel })).ok).toBe(true);
      // Unsubscribe as soon as the ack arrives, while the replay may still be read.
      expect((await c.subscribe({ taskId: a })).ok).toBe(true);
      expect(await c.unsubscribe(a)).toEqual({ ok: true });
      const receivedAtUnsubscribe = c.of(a).length;
      await progress(a, 5);
      // Events of the sentinel written after those of `a` arrive after them on the same path.
      const s = await progress(sentinel, 1);
      await c.waitFor('the sentinel event', () => c.seqs(sentinel).includes(s));
      await new Promise((r) => setTimeout(r, 300));
      expect(c.of(a).length).toBe(receivedAtUnsubscribe);
      expect(c.seqs(a)).toEqual(range(1, receivedAtUnsubscribe));
    });

    it('stops sending after unsubscribe once live', async () => {
      const a = await createTask();
      const c = await connect();
      expect((await c.subscribe({ taskId: a })).ok).toBe(true);
      const seq = await progress(a, 2);
      await c.waitFor('live events', () => c.seqs(a).includes(seq));
      expect(await c.unsubscribe(a)).toEqual({ ok: true });
      await progress(a, 3);
      await complete(a);
      await new Promise((r) => setTimeout(r, 400));
      expect(c.seqs(a)).toEqual(range(1, seq));
      // Unsubscribing what is not watched is harmless.
      expect(await c.unsubscribe(a)).toEqual({ ok: true });
    });

    it('lets one socket watch several tasks, each in its own seq order', async () => {
      const ids = [await createTask(), await createTask(), await createTask()];
      await progress(ids[1], 10);
      const c = await connect();
      const acks = await Promise.all(ids.map((taskId) => c.subscribe({ taskId })));
      expect(acks.every((a) => a.ok)).toBe(true);
      const lasts: number[] = [];
      for (let round = 0; round < 20; round++) for (const id of ids) await progress(id, 1);
      for (const id of ids) lasts.push(await complete(id));
      await c.waitFor('all three terminal events', () => ids.every((id, i) => c.seqs(id).includes(lasts[i])));
      ids.forEach((id, i) => expect(c.seqs(id)).toEqual(range(1, lasts[i])));
      expect(c.received.filter((r) => r.name === 'completed')).toHaveLength(3);
    });

    it('shares one feed per task among its sockets: each joins at its own afterSeq, mid-stream, and gets its own sequence once', async () => {
      const feeds = running.app.get(TaskFeeds);
      const hub = running.app.get(TaskEventHub);
      const taskId = await createTask();
      await progress(taskId, 30);
      const early = await connect();
      expect((await early.subscribe({ taskId })).ok).toBe(true);
      const writing = (async () => {
        for (let i = 0; i < 8; i++) {
          await progress(taskId, 20);
          await new Promise((r) => setTimeout(r, 15));
        }
        return complete(taskId);
      })();
      // Later sockets subscribe while events flow: from the start, from the middle, from the snapshot's seq.
      const late: { c: TestClient; from: number }[] = [];
      for (const pick of ['start', 'middle', 'snapshot'] as const) {
        await early.waitFor('some live events', () => early.seqs(taskId).length > 40 + late.length * 30);
        const c = await connect();
        const snapshot = await store.getForTenant(taskId, 'acme');
        const from = pick === 'start' ? 0 : pick === 'middle' ? 20 : snapshot!.snapshot.seq;
        expect((await c.subscribe({ taskId, afterSeq: from })).ok).toBe(true);
        late.push({ c, from });
      }
      expect(feeds.liveFeeds).toBe(1);
      expect(hub.watchedTasks).toBe(1);
      // One of them resubscribes mid-stream; the others are not disturbed.
      const again = late[1];
      const resumeAt = again.c.seqs(taskId).at(-1) ?? again.from;
      // Events of the old subscription in flight when it resubscribed come before the ack; after it, seq > resumeAt.
      // Counted in the ack callback itself: packets read in one chunk are handled before a promise continuation.
      const beforeAck = await new Promise<number>((resolve, reject) =>
        again.c.socket.emit('subscribe', { taskId, afterSeq: resumeAt }, (ack: SubscribeAck) => (ack.ok ? resolve(again.c.seqs(taskId).length) : reject(new Error(JSON.stringify(ack))))),
      );
      const last = await writing;
      for (const c of [early, ...late.map((l) => l.c)]) await c.waitFor('the terminal event', () => c.seqs(taskId).includes(last));
      expect(early.seqs(taskId)).toEqual(range(1, last));
      for (const { c, from } of late.filter((l) => l !== again)) expect(c.seqs(taskId)).toEqual(range(from + 1, last));
      const [first, second] = [again.c.seqs(taskId).slice(0, beforeAck), again.c.seqs(taskId).slice(beforeAck)];
      expect(first).toEqual(range(again.from + 1, again.from + first.length));
      expect(second).toEqual(range(resumeAt + 1, last));
      const deadline = Date.now() + 3_000;
      while ((feeds.liveFeeds > 0 || hub.watchedTasks > 0) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect([feeds.liveFeeds, hub.watchedTasks]).toEqual([0, 0]);
    });

    it('refuses more tasks per socket than MAX_SUBSCRIPTIONS_PER_SOCKET with limit_exceeded', async () => {
      const c = await connect();
      const ids = await Promise.all(range(1, 6).map(() => createTask()));
      const acks = [];
      for (const taskId of ids) acks.push(await c.subscribe({ taskId }));
      expect(acks.slice(0, 5).every((a) => a.ok)).toBe(true);
      expect(!acks[5].ok && acks[5].error.code).toBe('limit_exceeded');
      await c.unsubscribe(ids[0]);
      expect((await c.subscribe({ taskId: ids[5] })).ok).toBe(true);
    });

    it('lets a client that reconnects with afterSeq = last seen miss nothing', async () => {
      const taskId = await createTask();
      const seen: TaskEvent[] = [];
      let c = await connect();
      expect((await c.subscribe({ taskId })).ok).toBe(true);
      const writing = (async () => {
        for (let i = 0; i < 6; i++) {
          await progress(taskId, 25);
          await new Promise((r) => setTimeout(r, 20));
        }
        return complete(taskId);
      })();
      for (let hop = 0; hop < 3; hop++) {
        await c.waitFor('some events', () => c.of(taskId).length > 10);
        c.socket.disconnect();
        seen.push(...c.of(taskId));
        const lastSeen = seen.at(-1)!.seq;
        c = await connect();
        const ack = await c.subscribe({ taskId, afterSeq: lastSeen });
        expect(ack.ok).toBe(true);
      }
      const last = await writing;
      await c.waitFor('the terminal event', () => c.seqs(taskId).includes(last));
      seen.push(...c.of(taskId));
      expect(seen.map((e) => e.seq)).toEqual(range(1, last));
      expect(seen.at(-1)?.type).toBe('completed');
    });

    it('replays an ended task and ends with its terminal event', async () => {
      const taskId = await createTask();
      await progress(taskId, 5);
      const last = await complete(taskId);
      const c = await connect();
      const ack = await c.subscribe({ taskId, afterSeq: 3 });
      expect(ack.ok && ack.snapshot).toMatchObject({ status: 'completed', seq: last, progress: 100 });
      await c.waitFor('terminal', () => c.seqs(taskId).includes(last));
      expect(c.seqs(taskId)).toEqual(range(4, last));
      expect(c.received.map((r) => r.name)).toEqual(['progress', 'progress', 'progress', 'completed']);
    });

    it('acks a subscription to an ended task at its last seq with the snapshot and keeps nothing open', async () => {
      const hub = running.app.get(TaskEventHub);
      const taskId = await createTask();
      await progress(taskId, 2);
      const last = await complete(taskId);
      const c = await connect();
      const ack = await c.subscribe({ taskId, afterSeq: last });
      expect(ack.ok && ack.snapshot).toMatchObject({ status: 'completed', seq: last });
      expect(hub.watchedTasks).toBe(0);
      await new Promise((r) => setTimeout(r, 200));
      expect(c.received).toEqual([]);
    });

    it('releases a task\'s broker subscription and its slot once the terminal event went out', async () => {
      const hub = running.app.get(TaskEventHub);
      const c = await connect();
      const ids = await Promise.all(range(1, 5).map(() => createTask()));
      for (const taskId of ids) expect((await c.subscribe({ taskId })).ok).toBe(true);
      expect(hub.watchedTasks).toBe(5);
      const lasts: number[] = [];
      for (const taskId of ids) lasts.push(await complete(taskId));
      await c.waitFor('five terminal events', () => c.received.filter((r) => r.name === 'completed').length === 5);
      const deadline = Date.now() + 3_000;
      while (hub.watchedTasks > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      expect(hub.watchedTasks).toBe(0);
      // Ended tasks no longer count against MAX_SUBSCRIPTIONS_PER_SOCKET (5 here).
      const more = await createTask();
      expect((await c.subscribe({ taskId: more })).ok).toBe(true);
      ids.forEach((id, i) => expect(c.seqs(id)).toEqual(range(1, lasts[i])));
    });
  });
});
