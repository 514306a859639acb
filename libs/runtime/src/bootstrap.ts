import { DynamicModule, INestApplication, Module, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { WorkStage } from '@spectest/contracts';
import { ConsumeOptions, Messaging, NatsMessaging, WorkTransportStrategy } from '@spectest/messaging';
import { ProblemDetailsFilter, ShutdownState } from '@spectest/platform';
import { ProgressWriter } from '@spectest/progress';
import { Logger } from 'nestjs-pino';
import type { Server } from 'node:http';
import { InfrastructureConfig, infrastructureImports } from './infrastructure';

/** How a service's HTTP server listens (commonEnvShape of libs/platform). */
export interface HttpServerConfig {
  PORT: number;
  HOST?: string;
  /** Decides the default HOST: a dev-mode server takes requests without a token, so from this machine only. */
  AUTH_MODE?: 'jwt' | 'dev';
  HTTP_HEADERS_TIMEOUT_MS: number;
  HTTP_REQUEST_TIMEOUT_MS: number;
  SHUTDOWN_TIMEOUT_MS: number;
}

export interface ServiceConfig extends InfrastructureConfig, HttpServerConfig {
  NATS_URL: string;
  NATS_PREFIX: string;
}

/** The address to listen on: HOST, else loopback in dev mode and every interface otherwise. */
export const listenHost = (c: Pick<HttpServerConfig, 'HOST' | 'AUTH_MODE'>): string => c.HOST ?? (c.AUTH_MODE === 'dev' ? '127.0.0.1' : '0.0.0.0');

/** Slack past HTTP_REQUEST_TIMEOUT_MS before Node itself drops a request, so a route's own timeout answers first (problem+json). */
const REQUEST_TIMEOUT_SLACK_MS = 5_000;

function applyHttpTimeouts(server: Server, c: HttpServerConfig): void {
  server.headersTimeout = c.HTTP_HEADERS_TIMEOUT_MS;
  server.requestTimeout = c.HTTP_REQUEST_TIMEOUT_MS + REQUEST_TIMEOUT_SLACK_MS;
  // Node checks both timeouts this often (30 s by default, which would let a slow request run well past them);
  // read when the server starts listening.
  (server as Server & { connectionsCheckingInterval: number }).connectionsCheckingInterval = 1_000;
}

export interface ServiceDefinition {
  service: string;
  config: ServiceConfig;
  /** The service's feature modules (controllers, gateways, stage handlers). */
  modules: (Type<unknown> | DynamicModule)[];
  /** Consume JetStream work for the `@EventPattern(subjects.work(...))` handlers in the modules. */
  worker: boolean;
  configure?: (app: NestExpressApplication) => void | Promise<void>;
}

export interface RunningService {
  app: INestApplication;
  messaging: Messaging;
  url: string;
  /** Graceful stop: unready, stop taking work, finish or release in-flight messages, close sockets and pools. */
  stop(): Promise<void>;
}

/** Builds and starts one application over the given messaging: used by every service's main and by the embedded mode. */
export async function startApplication(def: Omit<ServiceDefinition, 'config'> & { config: InfrastructureConfig & HttpServerConfig }, messaging: Messaging): Promise<RunningService> {
  @Module({ imports: [...infrastructureImports(def.service, def.config, messaging), ...def.modules] })
  class RootModule {}

  const app = await NestFactory.create<NestExpressApplication>(RootModule, { bufferLogs: true, bodyParser: false });
  app.useLogger(app.get(Logger));
  app.useGlobalFilters(new ProblemDetailsFilter());
  app.disable('x-powered-by');
  app.set('trust proxy', true);
  await def.configure?.(app);
  if (def.worker) {
    const consume = workConsumeOptions(app.get(ProgressWriter));
    app.connectMicroservice({ strategy: new WorkTransportStrategy(messaging, { consume }) }, { inheritAppConfig: true });
    await app.startAllMicroservices();
  }
  applyHttpTimeouts(app.getHttpServer(), def.config);
  await app.listen(def.config.PORT, listenHost(def.config));
  const url = (await app.getUrl()).replace('[::1]', '127.0.0.1');

  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      app.get(ShutdownState).startDraining();
      await app.close();
      await messaging.close();
    })());
  return { app, messaging, url, stop };
}

/** Stage concurrency per process: parsing and packaging are CPU-bound, enhancing waits on the model. */
const STAGE_CONCURRENCY: Record<WorkStage, number> = { parse: 2, enhance: 8, package: 2 };

/** A message retried `maxDeliver` times fails its task with a clear code instead of vanishing. */
function workConsumeOptions(writer: ProgressWriter): Record<WorkStage, ConsumeOptions> {
  const options = (stage: WorkStage): ConsumeOptions => ({
    concurrency: STAGE_CONCURRENCY[stage],
    onGiveUp: async (payload, error) => {
      const taskId = (payload as { taskId?: unknown } | null)?.taskId;
      if (typeof taskId !== 'string') return;
      await writer.report(taskId, {
        type: 'failed',
        messageKey: 'task.failed',
        messageParams: { reason: `the ${stage} step failed repeatedly` },
        error: { code: 'worker_failed', message: `the ${stage} step failed repeatedly: ${(error as Error)?.message ?? String(error)}` },
      });
    },
  });
  return { parse: options('parse'), enhance: options('enhance'), package: options('package') };
}

/** Full mode: one service per process over NATS. SIGTERM/SIGINT stop it gracefully within SHUTDOWN_TIMEOUT_MS. */
export async function runService(def: ServiceDefinition): Promise<RunningService> {
  const messaging = await NatsMessaging.connect({ url: def.config.NATS_URL, prefix: def.config.NATS_PREFIX, name: `spectest-${def.service}` });
  const running = await startApplication(def, messaging);
  exitOnSignals(running, def.config.SHUTDOWN_TIMEOUT_MS);
  return running;
}

export function exitOnSignals(running: { stop(): Promise<void> }, timeoutMs: number): void {
  const onSignal = (signal: string) => {
    const hard = setTimeout(() => {
      process.stderr.write(`${JSON.stringify({ level: 50, msg: 'shutdown timed out', signal })}\n`);
      process.exit(1);
    }, timeoutMs);
    hard.unref();
    running.stop().then(
      () => process.exit(0),
      (err) => {
        process.stderr.write(`${JSON.stringify({ level: 50, msg: 'shutdown failed', err: String(err) })}\n`);
        process.exit(1);
      },
    );
  };
  process.once('SIGTERM', () => onSignal('SIGTERM'));
  process.once('SIGINT', () => onSignal('SIGINT'));
}

/** Runs a service's start function; a failure to start prints one JSON line and exits non-zero. */
export function launch(service: string, start: () => Promise<unknown>): void {
  start().catch((err) => {
    process.stderr.write(`${JSON.stringify({ level: 60, service, msg: 'failed to start', err: String(err?.stack ?? err) })}\n`);
    process.exit(1);
  });
}
