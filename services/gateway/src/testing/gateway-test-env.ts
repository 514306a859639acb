// Test-only: a gateway app on NATS and a fresh database, and an event writer acting as another process.
import { AuthModule, authConfigFromEnv } from '@spectest/auth';
import { NatsMessaging } from '@spectest/messaging';
import { TaskStore, createDataSource } from '@spectest/persistence';
import { parseConfig } from '@spectest/platform';
import { MessagingEventPublisher, ProgressWriter } from '@spectest/progress';
import { RunningService, startApplication } from '@spectest/runtime';
import { createTestDatabase, deleteNatsTestStreams, testNatsConfig } from '@spectest/testing';
import { GatewayConfigSchema } from '../gateway.config';
import { GatewayModule } from '../gateway.module';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

export interface GatewayTestEnv {
  running: RunningService;
  /** Writes events like intake or a stage would: its own pool and NATS connection on the gateway's prefix. */
  writer: ProgressWriter;
  store: TaskStore;
  stop(): Promise<void>;
}

export async function startGatewayTestEnv(service: string, secret: string, env: Record<string, string> = {}): Promise<GatewayTestEnv> {
  const nats = testNatsConfig();
  const db = await createTestDatabase();
  const cfg = parseConfig(GatewayConfigSchema, {
    DATABASE_URL: db.url,
    NATS_URL: nats.url,
    NATS_PREFIX: nats.prefix,
    PORT: '0',
    LOG_LEVEL: 'silent',
    AUTH_MODE: 'jwt',
    AUTH_JWT_SECRET: secret,
    DB_POOL_SIZE: '5',
    ...env,
  });
  const messaging = await NatsMessaging.connect({ url: nats.url, prefix: nats.prefix, logger: quiet });
  const running = await startApplication(
    { service, config: cfg, worker: false, modules: [AuthModule.forRoot(authConfigFromEnv(cfg)), GatewayModule.forRoot(cfg)] },
    messaging,
  );
  const writerDs = createDataSource({ url: db.url, poolSize: 4 });
  await writerDs.initialize();
  const writerBus = await NatsMessaging.connect({ url: nats.url, prefix: nats.prefix, logger: quiet });
  return {
    running,
    writer: new ProgressWriter(writerDs, new MessagingEventPublisher(writerBus)),
    store: new TaskStore(writerDs),
    stop: async () => {
      await running.stop();
      await writerBus.close();
      await writerDs.destroy();
      await db.drop();
      await deleteNatsTestStreams(nats.url, nats.prefix);
    },
  };
}
