import { Controller, Inject, type INestMicroservice } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { Test } from '@nestjs/testing';
import { subjects } from '@spectest/contracts';
import { deleteNatsTestStreams, testNatsConfig } from '@spectest/testing';
import {
  InProcessMessaging,
  MESSAGING,
  MessagingModule,
  NatsMessaging,
  PoisonMessageError,
  RetryLaterError,
  WorkContext,
  WorkTransportStrategy,
  type Messaging,
  type MessagingLogger,
} from '../index';

const quiet: MessagingLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

interface Received {
  payload: { taskId: string; fail?: 'retry-later' | 'poison' | 'error' };
  attempt: number;
  stage: string;
}

/** Shared between the test and the controller (the controller is built by Nest). */
const RECEIVED = 'RECEIVED';

@Controller()
class ParseWorkController {
  constructor(
    @Inject(RECEIVED) private readonly received: Received[],
    @Inject(MESSAGING) private readonly messaging: Messaging,
  ) {}

  @EventPattern(subjects.work('parse'))
  async parse(@Payload() payload: Received['payload'], @Ctx() context: WorkContext): Promise<void> {
    const attempt = context.getDelivery().attempt;
    this.received.push({ payload, attempt, stage: context.getStage() });
    await new Promise((resolve) => setTimeout(resolve, 5));
    if (attempt > 1) return this.messaging.publish(subjects.taskEvents(payload.taskId), { retried: attempt });
    if (payload.fail === 'retry-later') throw new RetryLaterError('later', 20);
    if (payload.fail === 'poison') throw new PoisonMessageError('bad');
    if (payload.fail === 'error') throw new Error('boom');
  }
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
async function waitFor(check: () => boolean, timeoutMs = 4000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`condition not met within ${timeoutMs} ms`);
    await sleep(10);
  }
}

interface Opened {
  messaging: Messaging;
  cleanup: () => Promise<void>;
}

describe.each([
  ['nats', async (): Promise<Opened> => {
    const config = testNatsConfig();
    const messaging = await NatsMessaging.connect({ ...config, logger: quiet });
    return { messaging, cleanup: () => deleteNatsTestStreams(config.url, config.prefix) };
  }],
  ['in-process', async (): Promise<Opened> => ({ messaging: new InProcessMessaging({ logger: quiet }), cleanup: async () => undefined })],
] as const)('WorkTransportStrategy over %s', (_name, open) => {
  let messaging: Messaging;
  let cleanup: () => Promise<void>;
  let app: INestMicroservice;
  let received: Received[];

  beforeEach(async () => {
    ({ messaging, cleanup } = await open());
    received = [];
    const moduleRef = await Test.createTestingModule({
      imports: [MessagingModule.forRoot(messaging)],
      controllers: [ParseWorkController],
      providers: [{ provide: RECEIVED, useValue: received }],
    }).compile();
    app = moduleRef.createNestMicroservice({
      strategy: new WorkTransportStrategy(messaging, { consume: { parse: { retryBackoffMs: [10], concurrency: 4 } } }),
      logger: false,
    });
    await app.listen();
  });

  afterEach(async () => {
    await app.close();
    await messaging.close();
    await cleanup();
  });

  it('hands published parse work to the @EventPattern handler with its context', async () => {
    const taskId = '00000000-0000-4000-8000-000000000001';
    await messaging.publishWork('parse', { taskId });
    await waitFor(() => received.length === 1);
    expect(received).toEqual([{ payload: { taskId }, attempt: 1, stage: 'parse' }]);
  });

  it('retries a failed handler and lets RetryLaterError and PoisonMessageError through Nest unchanged', async () => {
    const events: unknown[] = [];
    await messaging.subscribe('task.*.events', (payload, subject) => void events.push([subject, payload]));
    await messaging.publishWork('parse', { taskId: 'a', fail: 'error' });
    await messaging.publishWork('parse', { taskId: 'b', fail: 'retry-later' });
    await messaging.publishWork('parse', { taskId: 'c', fail: 'poison' });
    await waitFor(() => events.length === 2);
    await sleep(200);
    const attemptsOf = (id: string) => received.filter((r) => r.payload.taskId === id).map((r) => r.attempt);
    expect(attemptsOf('a')).toEqual([1, 2]);
    expect(attemptsOf('b')).toEqual([1, 2]);
    // Poison is terminated: a generic error would have been retried.
    expect(attemptsOf('c')).toEqual([1]);
  });

  it('close() drains: work published afterwards is not taken by the closed app', async () => {
    await app.close();
    await messaging.publishWork('parse', { taskId: 'late' });
    await sleep(150);
    expect(received).toEqual([]);
  });
});
