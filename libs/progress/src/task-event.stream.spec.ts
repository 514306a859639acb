import { TaskEvent } from '@spectest/contracts';
import { Messaging, NatsMessaging } from '@spectest/messaging';
import { TaskStore, createDataSource, runMigrations } from '@spectest/persistence';
import { TestDatabase, createTestDatabase, deleteNatsTestStreams, testNatsConfig } from '@spectest/testing';
import { randomUUID } from 'node:crypto';
import { DataSource } from 'typeorm';
import { MessagingEventPublisher, ProgressWriter } from './progress.writer';
import { TaskEventHub } from './task-event.hub';
import { OpenStream, TaskEventStreams } from './task-event.stream';
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
  stream: OpenStream;
  afterSeq: number;
}

jest.setTimeout(20_000);

describe('TaskEventStreams: replay then live, no gap and no duplicate at the seam', () => {
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
    await Promise.all(open.map((c) => c.stream.close()));
    open = [];
    expect(hub.watchedTasks).toBe(0);
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

  const collect = async (streams: TaskEventStreams, taskId: string, afterSeq: number): Promise<Collected> => {
    const events: TaskEvent[] = [];
    let resolveEnd!: () => void;
    const ended = new Promise<void>((r) => (resolveEnd = r));
    const stream = await streams.open(taskId, afterSeq, (e) => void events.push(e), resolveEnd);
    const c = { events, ended, stream, afterSeq };
    open.push(c);
    return c;
  };

  const withTimeout = <T>(p: Promise<T>, ms: number, what: string): Promise<T> => {
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
      p.finally(() => clearTimeout(timer)),
      new Promise<T>((_, reject) => (timer = setTimeout(() => reject(new Error(`timed out: ${what}`)), ms))),
    ]);
  };

  const expectExactly = (c: Collected, lastSeq: number): void => {
    const seqs = c.events.map((e) => e.seq);
    expect({ afterSeq: c.afterSeq, seqs }).toEqual({ afterSeq: c.afterSeq, seqs: Array.from({ length: lastSeq - c.afterSeq }, (_, i) => c.afterSeq + i + 1) });
    expect(c.events.at(-1)?.type).toBe('completed');
    expect(c.stream.lastSeq).toBe(lastSeq);
  };

  it('delivers exactly afterSeq+1..last to streams opened at 0, mid and last while hundreds of events are written', async () => {
    // No poll: the seam itself must be right, not rescued by the safety net.
    const streams = new TaskEventStreams(store, hub, { pollIntervalMs: NO_POLL, pageSize: 25 });
    const taskId = await createTask();
    const opened: Promise<Collected>[] = [collect(streams, taskId, 0)];
    const lastSeq = await writeEvents(writer, taskId, 300, (seq) => {
      // Streams opened right before the end have no later live event to heal a seam error.
      if (seq % 30 === 0 || seq > 295) {
        // Opened without awaiting, so the replay runs while the writer keeps writing.
        opened.push(collect(streams, taskId, Math.floor(seq / 2))); // mid
        opened.push(collect(streams, taskId, seq)); // the last one written so far
        opened.push(collect(streams, taskId, 0));
      }
    });
    const all = await Promise.all(opened);
    await withTimeout(Promise.all(all.map((c) => c.ended)), 10_000, 'every stream reaches the terminal event');
    expect(lastSeq).toBe(302);
    for (const c of all) expectExactly(c, lastSeq);
    // One broker subscription for all the watchers of the task.
    expect(hub.watchedTasks).toBe(1);
  });

  it('never loses the terminal event for streams opened while it commits (no later event can heal a seam error)', async () => {
    const streams = new TaskEventStreams(store, hub, { pollIntervalMs: NO_POLL });
    const all: Collected[] = [];
    for (let round = 0; round < 8; round++) {
      const taskId = await createTask();
      const opening: Promise<Collected>[] = [];
      const lastSeq = await writeEvents(writer, taskId, 3, async (seq) => {
        if (seq !== 4) return;
        // Streams open at staggered moments around the commit and publish of `completed`.
        for (let i = 0; i < 12; i++) {
          opening.push(new Promise((r) => setTimeout(r, i % 6)).then(() => collect(streams, taskId, i % 2 ? 0 : 4)));
        }
      });
      const these = await Promise.all(opening);
      await withTimeout(Promise.all(these.map((c) => c.ended)), 5_000, `round ${round}: every stream gets the terminal event`);
      for (const c of these) expectExactly(c, lastSeq);
      all.push(...these);
    }
    expect(all).toHaveLength(96);
  });

  it('replays an ended task from any afterSeq and ends with the terminal event', async () => {
    const streams = new TaskEventStreams(store, hub, { pollIntervalMs: NO_POLL, pageSize: 7 });
    const taskId = await createTask();
    const lastSeq = await writeEvents(writer, taskId, 50);
    const all = await Promise.all([0, 1, 25, lastSeq - 1].map((after) => collect(streams, taskId, after)));
    await withTimeout(Promise.all(all.map((c) => c.ended)), 5_000, 'replay of an ended task');
    for (const c of all) expectExactly(c, lastSeq);
  });

  it('still delivers everything when live fan-out messages are lost: skipped-ahead live events and the poll fill the gaps', async () => {
    const lossyWriter = new ProgressWriter(
      writerDs,
      // Loses a third of the live events, a run of them, and the terminal one (only the poll can bring that).
      new MessagingEventPublisher(lossyMessaging(writerBus, (e) => e.seq % 3 === 0 || (e.seq > 100 && e.seq < 130) || e.type === 'completed')),
    );
    const streams = new TaskEventStreams(store, hub, { pollIntervalMs: 100 });
    const taskId = await createTask(lossyWriter);
    const opened: Promise<Collected>[] = [collect(streams, taskId, 0)];
    const lastSeq = await writeEvents(lossyWriter, taskId, 200, (seq) => {
      if (seq % 50 === 0) opened.push(collect(streams, taskId, seq - 10));
    });
    const all = await Promise.all(opened);
    await withTimeout(Promise.all(all.map((c) => c.ended)), 10_000, 'streams reach the terminal event despite lost messages');
    for (const c of all) expectExactly(c, lastSeq);
  });

  it('delivers through the poll alone when no live message arrives at all', async () => {
    const silentWriter = new ProgressWriter(writerDs, new MessagingEventPublisher(lossyMessaging(writerBus, () => true)));
    const streams = new TaskEventStreams(store, hub, { pollIntervalMs: 50 });
    const taskId = await createTask(silentWriter);
    const c = await collect(streams, taskId, 0);
    const lastSeq = await writeEvents(silentWriter, taskId, 30);
    await withTimeout(c.ended, 5_000, 'poll-only delivery');
    expectExactly(c, lastSeq);
  });

  it('stops delivering on close and releases the broker subscription with its last watcher', async () => {
    const streams = new TaskEventStreams(store, hub, { pollIntervalMs: 50 });
    const taskId = await createTask();
    const a = await collect(streams, taskId, 0);
    const b = await collect(streams, taskId, 0);
    expect(hub.watchedTasks).toBe(1);
    await writer.report(taskId, { stage: 'parsing', stageProgress: 0.5, messageKey: 'parsing.started' });
    await withTimeout(
      (async () => {
        while (a.events.length < 2 || b.events.length < 2) await new Promise((r) => setTimeout(r, 10));
      })(),
      5_000,
      'both streams see seq 2',
    );
    await a.stream.close();
    expect(hub.watchedTasks).toBe(1);
    await writer.report(taskId, { stage: 'parsing', stageProgress: 0.6, messageKey: 'parsing.started' });
    await withTimeout(
      (async () => {
        while (b.events.length < 3) await new Promise((r) => setTimeout(r, 10));
      })(),
      5_000,
      'the open stream sees seq 3',
    );
    await new Promise((r) => setTimeout(r, 200)); // several poll periods
    expect(a.events.map((e) => e.seq)).toEqual([1, 2]);
    expect(a.stream.lastSeq).toBe(2);
    await b.stream.close();
    expect(hub.watchedTasks).toBe(0);
  });

  it('ignores malformed or foreign messages on the task subject', async () => {
    const invalid: string[] = [];
    const strictHub = new TaskEventHub(readerBus, (_subject, detail) => invalid.push(detail));
    const streams = new TaskEventStreams(store, strictHub, { pollIntervalMs: NO_POLL });
    const taskId = await createTask();
    const events: TaskEvent[] = [];
    const stream = await streams.open(taskId, 0, (e) => void events.push(e));
    try {
      const other = (await store.readEvents(taskId, 0, 1))[0];
      await writerBus.publish(`task.${taskId}.events`, { hello: 'world' });
      await writerBus.publish(`task.${taskId}.events`, { ...other, seq: 2, taskId: randomUUID() });
      await writer.report(taskId, { stage: 'parsing', stageProgress: 0.5, messageKey: 'parsing.started' });
      await withTimeout(
        (async () => {
          while (events.length < 2) await new Promise((r) => setTimeout(r, 10));
        })(),
        5_000,
        'the real seq 2',
      );
      expect(events.map((e) => [e.seq, e.taskId])).toEqual([
        [1, taskId],
        [2, taskId],
      ]);
      expect(invalid).toHaveLength(2);
    } finally {
      await stream.close();
    }
    expect(strictHub.watchedTasks).toBe(0);
  });
});
