import { TaskEvent } from '@spectest/contracts';
import { Messaging, NatsMessaging } from '@spectest/messaging';
import { TaskStore, createDataSource, runMigrations } from '@spectest/persistence';
import { withDeadline } from '@spectest/platform';
import { TcpRelay, TestDatabase, createTestDatabase, deleteNatsTestStreams, testNatsConfig, waitUntil } from '@spectest/testing';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { MessagingEventPublisher, ProgressWriter } from './progress.writer';
import { TaskEventHub } from './task-event.hub';
import { FeedEnd, FeedSink, FeedSubscription, LiveGroup } from './feed-sink';
import { TaskFeeds } from './task-feeds';
import { sampleTaskInput } from '../../../tests/support/task-input';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
const NO_POLL = 60_000;

/** A fan-out that loses the events `drop` picks (a broker hiccup, a slow consumer cut off). */
function lossyMessaging(inner: Messaging, drop: (event: TaskEvent) => boolean): Messaging {
  return {
    publishWork: (stage, payload) => inner.publishWork(stage, payload),
    consumeWork: (stage, handler, options) => inner.consumeWork(stage, handler, options),
    publish: async (subject, payload) => {
      if (drop(payload as TaskEvent)) return;
      await inner.publish(subject, payload);
    },
    subscribe: (subject, handler) => inner.subscribe(subject, handler),
    ping: () => inner.ping(),
    close: async () => undefined,
  };
}

interface Collected {
  events: TaskEvent[];
  ended: Promise<void>;
  ends: FeedEnd[];
  stream: FeedSubscription;
  afterSeq: number;
}

/** A sink that takes everything at once and records how its subscription ended. */
function collectingSink(events: TaskEvent[], ends: FeedEnd[], onEnd: () => void, extra: Partial<FeedSink> = {}): FeedSink {
  return {
    deliver: (e) => void events.push(e),
    hasRoom: () => true,
    whenRoom: () => Promise.resolve(),
    end: (reason) => {
      ends.push(reason);
      onEnd();
    },
    ...extra,
  };
}

jest.setTimeout(20_000);

describe('TaskFeeds: replay then live, no gap and no duplicate at the seam', () => {
  const nats = testNatsConfig();
  let db: TestDatabase;
  let writerDs: DataSource;
  let readerDs: DataSource;
  let writerBus: NatsMessaging;
  let readerBus: NatsMessaging;
  let writer: ProgressWriter;
  let store: TaskStore;
  let hub: TaskEventHub;
  let open: Collected[] = [];

  beforeAll(async () => {
    db = await createTestDatabase();
    writerDs = createDataSource({ url: db.url, poolSize: 4 });
    readerDs = createDataSource({ url: db.url, poolSize: 4 });
    await Promise.all([writerDs.initialize(), readerDs.initialize()]);
    await runMigrations(writerDs);
    // Writer and reader are separate "processes": own pools, own NATS connections on one prefix.
    writerBus = await NatsMessaging.connect({ ...nats, logger: quiet });
    readerBus = await NatsMessaging.connect({ ...nats, logger: quiet });
    writer = new ProgressWriter(writerDs, new MessagingEventPublisher(writerBus));
    store = new TaskStore(readerDs);
    hub = new TaskEventHub(readerBus);
  });

  afterEach(async () => {
    for (const c of open) c.stream.close();
    open = [];
    // A feed still opening closes its broker subscription once that is active.
    await waitUntil('every broker subscription closed', () => hub.watchedTasks === 0);
  });

  afterAll(async () => {
    await writerBus?.close();
    await readerBus?.close();
    await writerDs?.destroy();
    await readerDs?.destroy();
    await db?.drop();
    await deleteNatsTestStreams(nats.url, nats.prefix);
  });

  const createTask = async (w: ProgressWriter = writer): Promise<string> => {
    const { snapshot } = await w.createTask(sampleTaskInput({ name: 'seam' }));
    return snapshot.taskId;
  };

  /** `count` progress events through the enhancing band, then `completed`; returns the last seq. */
  const writeEvents = async (w: ProgressWriter, taskId: string, count: number, onEach?: (seq: number) => Promise<void> | void): Promise<number> => {
    let seq = 1;
    for (let i = 0; i < count; i++) {
      const r = await w.report(taskId, {
        stage: 'enhancing',
        stageProgress: i / count,
        messageKey: 'enhancing.calling',
        messageParams: { method: 'GET', path: `/p${i}` },
      });
      if (!r.ok) throw new Error(r.detail);
      seq = r.event.seq;
      await onEach?.(seq);
    }
    const done = await w.report(taskId, {
      type: 'completed',
      messageKey: 'task.completed',
      messageParams: { caseCount: 1 },
      result: { caseCount: 1, foundationCaseCount: 1, aiCaseCount: 0, artifact: { url: 'u', bytes: 1, sha256: 's' } },
    });
    if (!done.ok) throw new Error(done.detail);
    return done.event.seq;
  };

  /** Subscribes the way a server does: the snapshot first (the head), then the feed. */
  const collect = async (feeds: TaskFeeds, taskId: string, afterSeq: number, extra: Partial<FeedSink> = {}): Promise<Collected> => {
    const events: TaskEvent[] = [];
    const ends: FeedEnd[] = [];
    let resolveEnd!: () => void;
    const ended = new Promise<void>((r) => (resolveEnd = r));
    const head = (await store.get(taskId))!.snapshot;
    const stream = feeds.subscribe(taskId, afterSeq, head, collectingSink(events, ends, resolveEnd, extra));
    const c = { events, ended, ends, stream, afterSeq };
    open.push(c);
    return c;
  };

  const expectExactly = (c: Collected, lastSeq: number): void => {
    const seqs = c.events.map((e) => e.seq);
    expect({ afterSeq: c.afterSeq, seqs }).toEqual({ afterSeq: c.afterSeq, seqs: Array.from({ length: lastSeq - c.afterSeq }, (_, i) => c.afterSeq + i + 1) });
    expect(c.events.at(-1)?.type).toBe('completed');
    expect(c.stream.lastSeq).toBe(lastSeq);
    expect(c.ends).toEqual([{ kind: 'ended' }]);
  };

  it('delivers exactly afterSeq+1..last to streams opened at 0, mid and last while hundreds of events are written', async () => {
    // No poll: the seam itself must be right, not rescued by the safety net.
    const feeds = new TaskFeeds(store, hub, { pollIntervalMs: NO_POLL, pageSize: 25 });
    const taskId = await createTask();
    // The first one is in before any event is written, so the feed is there from the start.
    const opened: Promise<Collected>[] = [Promise.resolve(await collect(feeds, taskId, 0))];
    const shared = new Set<string>();
    const lastSeq = await writeEvents(writer, taskId, 300, (seq) => {
      shared.add(`${hub.watchedTasks} broker subscription(s), ${feeds.liveFeeds} feed(s)`);
      // Streams opened right before the end have no later live event to heal a seam error.
      if (seq % 30 === 0 || seq > 295) {
        // Opened without awaiting, so the replay runs while the writer keeps writing.
        opened.push(collect(feeds, taskId, Math.floor(seq / 2))); // mid
        opened.push(collect(feeds, taskId, seq)); // the last one written so far
        opened.push(collect(feeds, taskId, 0));
      }
    });
    const all = await Promise.all(opened);
    await withDeadline(Promise.all(all.map((c) => c.ended)), 10_000, 'every stream reaches the terminal event');
    expect(lastSeq).toBe(302);
    for (const c of all) expectExactly(c, lastSeq);
    // One broker subscription and one feed for all the watchers of the task, released with the terminal event.
    expect([...shared]).toEqual(['1 broker subscription(s), 1 feed(s)']);
    expect([hub.watchedTasks, feeds.liveFeeds]).toEqual([0, 0]);
  });

  it('never loses the terminal event for streams opened while it commits (no later event can heal a seam error)', async () => {
    const feeds = new TaskFeeds(store, hub, { pollIntervalMs: NO_POLL });
    const all: Collected[] = [];
    for (let round = 0; round < 8; round++) {
      const taskId = await createTask();
      const opening: Promise<Collected>[] = [];
      const lastSeq = await writeEvents(writer, taskId, 3, async (seq) => {
        if (seq !== 4) return;
        // Streams open at staggered moments around the commit and publish of `completed`.
        for (let i = 0; i < 12; i++) {
          opening.push(new Promise((r) => setTimeout(r, i % 6)).then(() => collect(feeds, taskId, i % 2 ? 0 : 4)));
        }
      });
      const these = await Promise.all(opening);
      await withDeadline(Promise.all(these.map((c) => c.ended)), 5_000, `round ${round}: every stream gets the terminal event`);
      for (const c of these) expectExactly(c, lastSeq);
      all.push(...these);
    }
    expect(all).toHaveLength(96);
  });

  it('replays an ended task from any afterSeq and ends with the terminal event', async () => {
    const feeds = new TaskFeeds(store, hub, { pollIntervalMs: NO_POLL, pageSize: 7 });
    const taskId = await createTask();
    const lastSeq = await writeEvents(writer, taskId, 50);
    const all = await Promise.all([0, 1, 25, lastSeq - 1].map((after) => collect(feeds, taskId, after)));
    await withDeadline(Promise.all(all.map((c) => c.ended)), 5_000, 'replay of an ended task');
    for (const c of all) expectExactly(c, lastSeq);
  });

  it('still delivers everything when live fan-out messages are lost: skipped-ahead live events and the poll fill the gaps', async () => {
    const lossyWriter = new ProgressWriter(
      writerDs,
      // Loses a third of the live events, a run of them, and the terminal one (only the poll can bring that).
      new MessagingEventPublisher(lossyMessaging(writerBus, (e) => e.seq % 3 === 0 || (e.seq > 100 && e.seq < 130) || e.type === 'completed')),
    );
    const feeds = new TaskFeeds(store, hub, { pollIntervalMs: 100 });
    const taskId = await createTask(lossyWriter);
    const opened: Promise<Collected>[] = [collect(feeds, taskId, 0)];
    const lastSeq = await writeEvents(lossyWriter, taskId, 200, (seq) => {
      if (seq % 50 === 0) opened.push(collect(feeds, taskId, seq - 10));
    });
    const all = await Promise.all(opened);
    await withDeadline(Promise.all(all.map((c) => c.ended)), 10_000, 'streams reach the terminal event despite lost messages');
    for (const c of all) expectExactly(c, lastSeq);
  });

  it('delivers through the poll alone when no live message arrives at all', async () => {
    const silentWriter = new ProgressWriter(writerDs, new MessagingEventPublisher(lossyMessaging(writerBus, () => true)));
    const feeds = new TaskFeeds(store, hub, { pollIntervalMs: 50 });
    const taskId = await createTask(silentWriter);
    const c = await collect(feeds, taskId, 0);
    const lastSeq = await writeEvents(silentWriter, taskId, 30);
    await withDeadline(c.ended, 5_000, 'poll-only delivery');
    expectExactly(c, lastSeq);
  });

  it('stops delivering on close and releases the broker subscription with its last watcher', async () => {
    const feeds = new TaskFeeds(store, hub, { pollIntervalMs: 50 });
    const taskId = await createTask();
    const a = await collect(feeds, taskId, 0);
    const b = await collect(feeds, taskId, 0);
    expect(hub.watchedTasks).toBe(1);
    await writer.report(taskId, { stage: 'parsing', stageProgress: 0.5, messageKey: 'parsing.started' });
    await withDeadline(
      (async () => {
        while (a.events.length < 2 || b.events.length < 2) await new Promise((r) => setTimeout(r, 10));
      })(),
      5_000,
      'both streams see seq 2',
    );
    a.stream.close();
    expect(hub.watchedTasks).toBe(1);
    await writer.report(taskId, { stage: 'parsing', stageProgress: 0.6, messageKey: 'parsing.started' });
    await withDeadline(
      (async () => {
        while (b.events.length < 3) await new Promise((r) => setTimeout(r, 10));
      })(),
      5_000,
      'the open stream sees seq 3',
    );
    await new Promise((r) => setTimeout(r, 200)); // several poll periods
    expect(a.events.map((e) => e.seq)).toEqual([1, 2]);
    expect(a.stream.lastSeq).toBe(2);
    b.stream.close();
    expect(hub.watchedTasks).toBe(0);
  });

  it('ignores malformed or foreign messages on the task subject', async () => {
    const invalid: string[] = [];
    const strictHub = new TaskEventHub(readerBus, (_subject, detail) => invalid.push(detail));
    const feeds = new TaskFeeds(store, strictHub, { pollIntervalMs: NO_POLL });
    const taskId = await createTask();
    const c = await collect(feeds, taskId, 0);
    try {
      // Seq 2 reaches the member through the feed (live or read after its subscription is active): from then on messages arrive.
      await writer.report(taskId, { stage: 'parsing', stageProgress: 0.4, messageKey: 'parsing.started' });
      await waitUntil('seq 2', () => c.events.length === 2);
      await writerBus.publish(`task.${taskId}.events`, { hello: 'world' });
      await writerBus.publish(`task.${taskId}.events`, { ...c.events[1], seq: 3, taskId: randomUUID() });
      await writer.report(taskId, { stage: 'parsing', stageProgress: 0.5, messageKey: 'parsing.started' });
      await waitUntil('the real seq 3', () => c.events.length === 3);
      expect(c.events.map((e) => [e.seq, e.taskId])).toEqual([
        [1, taskId],
        [2, taskId],
        [3, taskId],
      ]);
      expect(invalid).toHaveLength(2);
    } finally {
      c.stream.close();
    }
    expect(strictHub.watchedTasks).toBe(0);
  });
  it('paces a replay by its sink, and takes a sink that has no room off the live stream: it reads what it missed from the log, in order', async () => {
    const feeds = new TaskFeeds(store, hub, { pollIntervalMs: NO_POLL, pageSize: 10 });
    const ended = await createTask();
    const endedSeq = await writeEvents(writer, ended, 30);
    // The sink is full after each page of 10 until it is given room again.
    let open = true;
    let release: () => void = () => undefined;
    const got: TaskEvent[] = [];
    const paced = await collect(feeds, ended, 0, {
      hasRoom: () => open,
      whenRoom: () => new Promise<void>((r) => (release = r)),
      deliver: (e) => {
        got.push(e);
        if (got.length % 10 === 0) open = false;
      },
    });
    for (const page of [10, 20, 30]) {
      await waitUntil(`page up to ${page}`, () => got.length === page);
      await new Promise((r) => setTimeout(r, 100));
      expect(got.length).toBe(page);
      open = true;
      release();
    }
    await withDeadline(paced.ended, 5_000, 'the paced replay ends');
    paced.events.push(...got);
    expectExactly(paced, endedSeq);

    let room = true;
    let wake: () => void = () => undefined;
    const live = await createTask();
    const slow = await collect(feeds, live, 0, {
      hasRoom: () => room,
      whenRoom: () => new Promise<void>((r) => (wake = r)),
    });
    const steady = await collect(feeds, live, 0);
    await writer.report(live, { stage: 'parsing', stageProgress: 0.1, messageKey: 'parsing.started' });
    await waitUntil('seq 2 on both', () => slow.events.length === 2 && steady.events.length === 2);
    room = false;
    const lastSeq = await writeEvents(writer, live, 40);
    await withDeadline(steady.ended, 5_000, 'the steady sink ends');
    // Nothing was pushed into the sink that had no room (it holds no backlog), and its position is kept.
    expect(slow.events.map((e) => e.seq)).toEqual([1, 2]);
    expect(slow.stream.lastSeq).toBe(2);
    room = true;
    wake();
    await withDeadline(slow.ended, 5_000, 'the slow sink catches up from the log');
    expectExactly(slow, lastSeq);
    expectExactly(steady, lastSeq);
  });

  it('hands each live event once to a group for all its live sinks (a room broadcast), and to other sinks one by one', async () => {
    const feeds = new TaskFeeds(store, hub, { pollIntervalMs: NO_POLL });
    const taskId = await createTask();
    const calls: { seq: number; sinks: number }[] = [];
    const grouped: TaskEvent[][] = [[], []];
    const group: LiveGroup = {
      deliver: (e, sinks) => {
        calls.push({ seq: e.seq, sinks: sinks.length });
        for (const sink of sinks) sink.deliver(e);
      },
    };
    const members = await Promise.all(
      grouped.map((events) =>
        collect(feeds, taskId, 0, { group, buffersLive: true, deliver: (e) => void events.push(e) }),
      ),
    );
    const single = await collect(feeds, taskId, 0);
    await waitUntil('seq 1 everywhere', () => grouped.every((g) => g.length === 1) && single.events.length === 1);
    const lastSeq = await writeEvents(writer, taskId, 5);
    await withDeadline(Promise.all([...members, single].map((c) => c.ended)), 5_000, 'every sink ends');
    for (const events of grouped) expect(events.map((e) => e.seq)).toEqual(Array.from({ length: lastSeq }, (_, i) => i + 1));
    expectExactly(single, lastSeq);
    // Seq 1 came from the log (replay, per sink); every later one in one group call for both sinks.
    expect(calls).toEqual(Array.from({ length: lastSeq - 1 }, (_, i) => ({ seq: i + 2, sinks: 2 })));
  });

  describe('when the log cannot be read', () => {
    const hideLog = () => writerDs.query('ALTER TABLE task_events RENAME TO task_events_hidden');
    const showLog = () => writerDs.query('ALTER TABLE task_events_hidden RENAME TO task_events');

    it('retries a failed replay read and delivers once it succeeds', async () => {
      const feeds = new TaskFeeds(store, hub, { pollIntervalMs: NO_POLL, readRetryDelaysMs: [100, 200, 400] });
      const taskId = await createTask();
      const lastSeq = await writeEvents(writer, taskId, 10);
      await hideLog();
      let c: Collected;
      try {
        c = await collect(feeds, taskId, 0);
        await new Promise((r) => setTimeout(r, 150));
      } finally {
        await showLog();
      }
      await withDeadline(c.ended, 5_000, 'the replay after the retry');
      expectExactly(c, lastSeq);
    });

    it('ends the subscription with failed/unavailable once the retries are used up, instead of leaving it silent', async () => {
      const feeds = new TaskFeeds(store, hub, { pollIntervalMs: NO_POLL, readRetryDelaysMs: [50, 50] });
      const taskId = await createTask();
      await writer.report(taskId, { stage: 'parsing', stageProgress: 0.1, messageKey: 'parsing.started' });
      await hideLog();
      try {
        const c = await collect(feeds, taskId, 0);
        await withDeadline(c.ended, 5_000, 'the failure');
        expect(c.events).toEqual([]);
        expect(c.ends).toEqual([{ kind: 'failed', error: { code: 'unavailable', message: expect.stringContaining('task_events') } }]);
      } finally {
        await showLog();
      }
      await waitUntil('the feed let go', () => feeds.liveFeeds === 0 && hub.watchedTasks === 0);
    });

    it('counts a read that gets no answer as failed (a database that stopped answering), and says so', async () => {
      const url = new URL(db.url);
      const relay = await TcpRelay.start({ host: url.hostname, port: Number(url.port || 5432) });
      url.hostname = '127.0.0.1';
      url.port = String(relay.port);
      const stalledDs = createDataSource({ url: url.toString(), poolSize: 2 });
      await stalledDs.initialize();
      try {
        const feeds = new TaskFeeds(new TaskStore(stalledDs), hub, { pollIntervalMs: NO_POLL, readRetryDelaysMs: [50], readTimeoutMs: 200 });
        const taskId = await createTask();
        const head = (await store.get(taskId))!.snapshot;
        relay.stall();
        const ends: FeedEnd[] = [];
        let ended!: () => void;
        const done = new Promise<void>((r) => (ended = r));
        const sub = feeds.subscribe(taskId, 0, head, collectingSink([], ends, ended));
        await withDeadline(done, 5_000, 'the failure');
        sub.close();
        expect(ends).toEqual([{ kind: 'failed', error: { code: 'unavailable', message: expect.stringContaining('no answer within 200 ms') } }]);
      } finally {
        relay.cut();
        await stalledDs.destroy().catch(() => undefined);
        await relay.close();
      }
    });

    it('tells every live subscriber when the feed cannot fill a gap in the live events', async () => {
      const feeds = new TaskFeeds(store, hub, { pollIntervalMs: NO_POLL, readRetryDelaysMs: [50] });
      const taskId = await createTask();
      const subs = [await collect(feeds, taskId, 0), await collect(feeds, taskId, 0)];
      await writer.report(taskId, { stage: 'parsing', stageProgress: 0.1, messageKey: 'parsing.started' });
      await waitUntil('seq 2 on both', () => subs.every((c) => c.events.length === 2));
      await hideLog();
      try {
        // A live message that skips ahead: the feed must read seq 3 from the log, which fails.
        await writerBus.publish(`task.${taskId}.events`, { ...subs[0].events[1], seq: 4 });
        await withDeadline(Promise.all(subs.map((c) => c.ended)), 5_000, 'every subscriber told');
        for (const c of subs) {
          expect(c.events.map((e) => e.seq)).toEqual([1, 2]);
          expect(c.ends).toEqual([{ kind: 'failed', error: { code: 'unavailable', message: expect.any(String) } }]);
        }
      } finally {
        await showLog();
      }
      expect(feeds.liveFeeds).toBe(0);
    });
  });
});
