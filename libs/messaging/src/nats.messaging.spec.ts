import { connect } from 'nats';
import { deleteNatsTestStreams, testNatsConfig } from '@spectest/testing';
import { NatsMessaging, workConsumerName, workStreamName, type WorkConsumer } from './index';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

/** NATS-only behaviour; shared semantics live in messaging.conformance.spec.ts. */
describe('NatsMessaging setup', () => {
  const config = testNatsConfig();
  const opened: NatsMessaging[] = [];
  const consumers: WorkConsumer[] = [];

  afterAll(async () => {
    await Promise.all(consumers.map((c) => c.drain(100)));
    await Promise.all(opened.map((m) => m.close()));
    await deleteNatsTestStreams(config.url, config.prefix);
  });

  it('lets processes start at once on one prefix, and a later consumer updates the shared consumer config', async () => {
    const [a, b] = await Promise.all([1, 2].map(() => NatsMessaging.connect({ ...config, logger: quiet })));
    opened.push(a, b);
    consumers.push(await a.consumeWork('enhance', async () => undefined, { ackWaitMs: 2_000 }));
    const got: unknown[] = [];
    consumers.push(await b.consumeWork('enhance', async (payload) => void got.push(payload), { concurrency: 3, ackWaitMs: 5_000, maxDeliver: 7 }));

    const nc = await connect({ servers: config.url });
    const info = await (await nc.jetstreamManager()).consumers.info(workStreamName(config.prefix), workConsumerName('enhance'));
    await nc.close();
    expect(info.config.ack_wait).toBe(5_000 * 1_000_000);
    expect(info.config.max_deliver).toBe(-1); // the workers count attempts: see ensureWorkConsumer
    expect(a.streamName).toBe(`${config.prefix.toUpperCase()}_WORK`);
  });

  it('refuses a prefix that is not a single subject token', async () => {
    await expect(NatsMessaging.connect({ url: config.url, prefix: 'a.b', logger: quiet })).rejects.toThrow(/prefix/);
  });

  it('fails fast when the server is unreachable', async () => {
    await expect(NatsMessaging.connect({ url: 'nats://127.0.0.1:1', prefix: config.prefix, logger: quiet })).rejects.toThrow();
  });
});
