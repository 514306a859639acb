// Test-only: a gateway app on NATS and a fresh database, and an event writer acting as another process.
import { AuthModule, authConfigFromEnv } from '@spectest/auth';
import { NatsMessaging } from '@spectest/messaging';
import { TaskStore, createDataSource } from '@spectest/persistence';
import { parseConfig } from '@spectest/platform';
import { MessagingEventPublisher, ProgressWriter } from '@spectest/progress';
import { RunningService, startApplication } from '@spectest/runtime';
import { TcpRelay, createTestDatabase, deleteNatsTestStreams, testNatsConfig } from '@spectest/testing';
import { GatewayConfigSchema } from '../gateway.config';
import { GatewayModule } from '../gateway.module';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };

export interface GatewayTestEnv {
  running: RunningService;
  /** Writes events like intake or a stage would: its own pool and NATS connection on the gateway's prefix. */
  writer: ProgressWriter;
  store: TaskStore;
  /** The test database, reached directly (not through the relay). */
  databaseUrl: string;
  /** With `relayDatabase`: the relay between the gateway and Postgres, to cut the gateway off its database. */
  databaseRelay?: TcpRelay;
  stop(): Promise<void>;
}

export interface GatewayTestEnvOptions {
  /** The gateway reaches Postgres through a TcpRelay the test can cut (an outage only the gateway sees). */
  relayDatabase?: boolean;
}

export async function startGatewayTestEnv(
  service: string,
  secret: string,
  env: Record<string, string> = {},
  options: GatewayTestEnvOptions = {},
): Promise<GatewayTestEnv> {
  const nats = testNatsConfig();
  const db = await createTestDatabase();
  const databaseRelay = options.relayDatabase ? await TcpRelay.start({ port: Number(new URL(db.url).port || 5432), host: new URL(db.url).hostname }) : undefined;
  const gatewayDbUrl = new URL(db.url);
  if (databaseRelay) {
    gatewayDbUrl.hostname = '127.0.0.1';
    gatewayDbUrl.port = String(databaseRelay.port);
  }
  const cfg = parseConfig(GatewayConfigSchema, {
    DATABASE_URL: gatewayDbUrl.toString(),
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
    databaseUrl: db.url,
    databaseRelay,
    stop: async () => {
      databaseRelay?.resume();
      await running.stop();
      await databaseRelay?.close();
      await writerBus.close();
      await writerDs.destroy();
      await db.drop();
      await deleteNatsTestStreams(nats.url, nats.prefix);
    },
  };
}
