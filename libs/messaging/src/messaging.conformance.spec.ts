import { connect } from 'nats';
import { subjects, type WorkStage } from '@spectest/contracts';
import { deleteNatsTestStreams, testNatsConfig } from '@spectest/testing';
import {
  DeliverySupersededError,
  DependencyGate,
  InProcessMessaging,
  NatsMessaging,
  PoisonMessageError,
  RetryLaterError,
  type Messaging,
  type MessagingLogger,
  type WorkConsumer,
} from './index';

/** Both implementations must pass every test here: the embedded mode relies on it (DESIGN.md). */
interface Harness {
  /** The messaging under test (a fresh namespace per test). */
  messaging(): Promise<Messaging>;
  /** Another process on the same namespace (NATS: a second connection; in-process: the same instance). */
  secondProcess(): Promise<Messaging>;
  /** Puts bytes that are not JSON on a work queue, as a foreign producer could. */
  publishRaw(stage: WorkStage, text: string): Promise<void>;
  cleanup(): Promise<void>;
}

interface Captured extends MessagingLogger {
  lines: Array<{ level: string; msg: string; obj: object }>;
}

function captureLogger(): Captured {
  const lines: Captured['lines'] = [];
  const at = (level: string) => (obj: object, msg: string) => void lines.push({ level, msg, obj });
  return { lines, info: at('info'), warn: at('warn'), error: at('error') };
}

function natsHarness(logger: MessagingLogger): Harness {
  const config = testNatsConfig();
  const opened: Messaging[] = [];
  const open = async () => {
    const m = await NatsMessaging.connect({ ...config, name: 'conformance', logger });
    opened.push(m);
    return m;
  };
  return {
    messaging: open,
    secondProcess: open,
    publishRaw: async (stage, text) => {
      const nc = await connect({ servers: config.url });
      await nc.jetstream().publish(`${config.prefix}.${subjects.work(stage)}`, new TextEncoder().encode(text));
      await nc.close();
    },
    cleanup: async () => {
      await Promise.all(opened.map((m) => m.close()));
      await deleteNatsTestStreams(config.url, config.prefix);
    },
  };
}

function inProcessHarness(logger: MessagingLogger): Harness {
  const m = new InProcessMessaging({ logger });
  return {
    messaging: async () => m,
    secondProcess: async () => m,
    publishRaw: async (stage, text) => m.publishRawWork(stage, text),
    cleanup: () => m.close(),
  };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function waitFor(check: () => boolean, timeoutMs = 4000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(10);
  }
}

const taskId = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

describe.each([
  ['nats', natsHarness],
  ['in-process', inProcessHarness],
] as const)('Messaging conformance: %s', (_name, makeHarness) => {
  let harness: Harness;
  let logger: Captured;
  let messaging: Messaging;
  let consumers: WorkConsumer[];
  /** Handlers left pending on purpose are released here so nothing outlives its test. */
  let releaseHangs: Array<() => void>;

  const consume = async (...args: Parameters<Messaging['consumeWork']>) => {
    const consumer = await messaging.consumeWork(...args);
    consumers.push(consumer);
    return consumer;
  };
  const hang = () => new Promise<void>((resolve) => releaseHangs.push(resolve));

  beforeEach(async () => {
    logger = captureLogger();
    harness = makeHarness(logger);
    messaging = await harness.messaging();
    consumers = [];
    releaseHangs = [];
  });

  afterEach(async () => {
    await Promise.all(consumers.map((c) => c.drain(100)));
    releaseHangs.forEach((release) => release());
    await harness.cleanup();
  });

  it('delivers published work to the stage consumer, first attempt 1', async () => {
    const got: Array<{ payload: unknown; attempt: number }> = [];
    await consume('parse', async (payload, d) => void got.push({ payload, attempt: d.attempt }));
    await messaging.publishWork('parse', { taskId: taskId(1) });
    await messaging.publishWork('enhance', { taskId: taskId(2) });
    await waitFor(() => got.length === 1);
    expect(got).toEqual([{ payload: { taskId: taskId(1) }, attempt: 1 }]);
  });

  it('acks only after the handler resolved: work of a process stopped mid-handler is redelivered', async () => {
    let started = false;
    const first = await consume('parse', async () => {
      started = true;
      await hang();
    });
    await messaging.publishWork('parse', { taskId: taskId(3) });
    await waitFor(() => started);
    // The process stops while its handler still runs: the message is released, never acked.
    await first.drain(50);
    const other = await harness.secondProcess();
    const got: number[] = [];
    consumers.push(await other.consumeWork('parse', async (_p, d) => void got.push(d.attempt)));
    await waitFor(() => got.length === 1);
    expect(got).toEqual([2]);
  });

  it('redelivers a message whose holder neither acked nor reported progress within ackWait', async () => {
    const attempts: number[] = [];
    await consume(
      'parse',
      async (_p, d) => {
        attempts.push(d.attempt);
        if (d.attempt === 1) await hang();
      },
      { concurrency: 2, ackWaitMs: 300 },
    );
    await messaging.publishWork('parse', { taskId: taskId(4) });
    await waitFor(() => attempts.length === 2);
    expect(attempts).toEqual([1, 2]);
  });

  it('does not redeliver while the handler reports progress', async () => {
    const attempts: number[] = [];
    await consume(
      'parse',
      async (_p, d) => {
        attempts.push(d.attempt);
        for (let i = 0; i < 7; i += 1) {
          await sleep(100);
          d.inProgress();
        }
      },
      { concurrency: 2, ackWaitMs: 300 },
    );
    await messaging.publishWork('parse', { taskId: taskId(5) });
    await sleep(1000);
    expect(attempts).toEqual([1]);
  });

  it('redelivers after a throw, counting attempts, until the handler succeeds', async () => {
    const attempts: number[] = [];
    await consume(
      'parse',
      async (_p, d) => {
        attempts.push(d.attempt);
        if (d.attempt < 3) throw new Error('flaky');
      },
      { retryBackoffMs: [20] },
    );
    await messaging.publishWork('parse', { taskId: taskId(6) });
    await waitFor(() => attempts.length === 3);
    await sleep(200);
    expect(attempts).toEqual([1, 2, 3]);
  });

  it('waits the RetryLaterError delay before redelivering', async () => {
    const seenAt: number[] = [];
    await consume('parse', async (_p, d) => {
      seenAt.push(Date.now());
      if (d.attempt === 1) throw new RetryLaterError('model busy', 400);
    });
    await messaging.publishWork('parse', { taskId: taskId(7) });
    await waitFor(() => seenAt.length === 2);
    expect(seenAt[1] - seenAt[0]).toBeGreaterThanOrEqual(350);
  });

  it('terminates poison and non-JSON messages without redelivery and keeps consuming', async () => {
    const seen: unknown[] = [];
    await consume(
      'parse',
      async (payload) => {
        seen.push(payload);
        if ((payload as { poison?: boolean }).poison) throw new PoisonMessageError('bad shape');
      },
      { retryBackoffMs: [10] },
    );
    await harness.publishRaw('parse', '{not json');
    await messaging.publishWork('parse', { poison: true });
    await messaging.publishWork('parse', { taskId: taskId(8) });
    await waitFor(() => seen.length === 2);
    await sleep(300);
    expect(seen).toEqual([{ poison: true }, { taskId: taskId(8) }]);
    const terminated = logger.lines.filter((l) => l.level === 'error' && l.msg.includes('terminated')).map((l) => l.msg);
    expect(terminated).toEqual(['work message is not JSON; terminated', 'work message is poison; terminated']);
  });

  it('gives up after maxDeliver attempts: onGiveUp exactly once, then no more deliveries', async () => {
    const attempts: number[] = [];
    const givenUp: Array<{ payload: unknown; error: unknown }> = [];
    await consume(
      'parse',
      async (_p, d) => {
        attempts.push(d.attempt);
        throw new Error(`boom ${d.attempt}`);
      },
      { maxDeliver: 3, retryBackoffMs: [10], onGiveUp: async (payload, error) => void givenUp.push({ payload, error }) },
    );
    await messaging.publishWork('parse', { taskId: taskId(9) });
    await waitFor(() => givenUp.length === 1);
    await sleep(300);
    expect(attempts).toEqual([1, 2, 3]);
    expect(givenUp).toHaveLength(1);
    expect(givenUp[0].payload).toEqual({ taskId: taskId(9) });
    expect((givenUp[0].error as Error).message).toBe('boom 3');
  });

  it('terminated and given-up messages never come back, even after ackWait (no reliance on term reasons, NATS < 2.10.4)', async () => {
    const seen: string[] = [];
    await consume(
      'parse',
      async (payload, d) => {
        const kind = (payload as { kind: string }).kind;
        seen.push(`${kind} ${d.attempt}`);
        if (kind === 'poison') throw new PoisonMessageError('bad shape');
        throw new Error('always fails');
      },
      { maxDeliver: 2, retryBackoffMs: [10], ackWaitMs: 300, onGiveUp: async () => undefined },
    );
    await messaging.publishWork('parse', { kind: 'poison' });
    await messaging.publishWork('parse', { kind: 'failing' });
    await waitFor(() => seen.length === 3);
    await sleep(1200);
    expect(seen.sort()).toEqual(['failing 1', 'failing 2', 'poison 1']);
  });

  it('retries a give-up that could not be written on a later delivery, until it is', async () => {
    const giveUps: number[] = [];
    await consume(
      'parse',
      async () => {
        throw new Error('always fails');
      },
      {
        maxDeliver: 2,
        retryBackoffMs: [10],
        onGiveUp: async () => {
          giveUps.push(giveUps.length + 1);
          if (giveUps.length < 3) throw new Error('database down');
        },
      },
    );
    await messaging.publishWork('parse', { taskId: taskId(30) });
    await waitFor(() => giveUps.length === 3, 6000);
    await sleep(300);
    expect(giveUps).toEqual([1, 2, 3]);
  });

  it('runs a handler that failed for a transient reason again in place once the gate opens, spending no attempt', async () => {
    let down = true;
    const gate = new DependencyGate({ probe: async () => void (down && (() => { throw new Error('database down'); })()), retryMs: 50 });
    const attempts: number[] = [];
    await consume(
      'parse',
      async (_p, d) => {
        attempts.push(d.attempt);
        if (down) throw Object.assign(new Error('connect ECONNREFUSED'), { transient: true });
      },
      { gate, isTransient: (e) => (e as { transient?: boolean }).transient === true, retryBackoffMs: [10] },
    );
    await messaging.publishWork('parse', { taskId: taskId(31) });
    await waitFor(() => attempts.length === 1);
    await waitFor(() => !gate.isOpen());
    // While closed, nothing more is pulled and the failed delivery waits.
    await messaging.publishWork('parse', { taskId: taskId(32) });
    await sleep(400);
    expect(attempts).toEqual([1]);
    down = false;
    await waitFor(() => attempts.length === 3);
    await sleep(200);
    expect(attempts).toEqual([1, 1, 1]);
    gate.stop();
  });

  it('stores a work message published twice under one dedup id once', async () => {
    const got: unknown[] = [];
    await consume('package', async (payload) => void got.push(payload));
    await messaging.publishWork('package', { n: 1 }, { dedupId: 'task-1:package:1' });
    await messaging.publishWork('package', { n: 2 }, { dedupId: 'task-1:package:1' });
    await messaging.publishWork('package', { n: 3 }, { dedupId: 'task-1:package:2' });
    await waitFor(() => got.length === 2);
    await sleep(200);
    expect(got).toEqual([{ n: 1 }, { n: 3 }]);
  });

  it('leaves a superseded delivery unsettled: the message comes back after ackWait, not at once', async () => {
    const seenAt: Array<[number, number]> = [];
    const started = Date.now();
    await consume(
      'parse',
      async (_p, d) => {
        seenAt.push([d.attempt, Date.now() - started]);
        if (d.attempt === 1) throw new DeliverySupersededError('another holder');
      },
      { ackWaitMs: 500, retryBackoffMs: [10] },
    );
    await messaging.publishWork('parse', { taskId: taskId(33) });
    await waitFor(() => seenAt.length === 2);
    expect(seenAt.map(([a]) => a)).toEqual([1, 2]);
    expect(seenAt[1][1] - seenAt[0][1]).toBeGreaterThanOrEqual(400);
  });

  it('keeps at most `concurrency` handlers running', async () => {
    let running = 0;
    let peak = 0;
    let done = 0;
    await consume(
      'enhance',
      async () => {
        running += 1;
        peak = Math.max(peak, running);
        await sleep(60);
        running -= 1;
        done += 1;
      },
      { concurrency: 2 },
    );
    for (let i = 0; i < 6; i += 1) await messaging.publishWork('enhance', { taskId: taskId(10 + i) });
    await waitFor(() => done === 6);
    expect(peak).toBe(2);
  });

  it('drain waits for in-flight handlers, acks them, and takes no new work', async () => {
    const events: string[] = [];
    const consumer = await consume('package', async (payload) => {
      events.push(`start ${(payload as { n: number }).n}`);
      await sleep(200);
      events.push(`end ${(payload as { n: number }).n}`);
    });
    await messaging.publishWork('package', { n: 1 });
    await waitFor(() => events.length === 1);
    await consumer.drain(2000);
    events.push('drained');
    await messaging.publishWork('package', { n: 2 });
    await sleep(200);
    expect(events).toEqual(['start 1', 'end 1', 'drained']);
    // The acked message is gone; the one published after drain waits for the next consumer.
    const later: unknown[] = [];
    await consume('package', async (payload) => void later.push(payload));
    await waitFor(() => later.length === 1);
    await sleep(200);
    expect(later).toEqual([{ n: 2 }]);
  });

  it('fans out core messages to wildcard subscribers with un-prefixed subjects, until unsubscribed', async () => {
    const got: Record<string, Array<[unknown, string]>> = { star: [], tail: [], exact: [] };
    const unsubStar = await messaging.subscribe('task.*.events', (p, s) => void got.star.push([p, s]));
    await messaging.subscribe('task.>', (p, s) => void got.tail.push([p, s]));
    await messaging.subscribe(subjects.taskEvents('a'), (p, s) => void got.exact.push([p, s]));
    await messaging.publish(subjects.taskEvents('a'), { seq: 1 });
    await messaging.publish(subjects.taskControl('b'), { action: 'cancel' });
    await waitFor(() => got.tail.length === 2);
    expect(got.star).toEqual([[{ seq: 1 }, 'task.a.events']]);
    expect(got.exact).toEqual([[{ seq: 1 }, 'task.a.events']]);
    expect(got.tail).toEqual([
      [{ seq: 1 }, 'task.a.events'],
      [{ action: 'cancel' }, 'task.b.control'],
    ]);
    await unsubStar();
    await messaging.publish(subjects.taskEvents('c'), { seq: 2 });
    await waitFor(() => got.tail.length === 3);
    await sleep(50);
    expect(got.star).toHaveLength(1);
  });

  it('pings while open; after close, ping and publish reject', async () => {
    await expect(messaging.ping()).resolves.toBeUndefined();
    await messaging.close();
    await expect(messaging.ping()).rejects.toThrow();
    await expect(messaging.publishWork('parse', { taskId: taskId(20) })).rejects.toThrow();
    await expect(messaging.publish('task.x.events', {})).rejects.toThrow();
  });
});
