import { DynamicModule, INestApplication, Logger as NestLogger, Module, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { WorkMessageSchema, WorkStage } from '@spectest/contracts';
import { ConsumeOptions, DependencyGate, InvalidWorkMessageError, Messaging, NatsMessaging, WorkTransportStrategy } from '@spectest/messaging';
import { pingDatabase } from '@spectest/persistence';
import { JsonNestLogger, ProblemDetailsFilter, ShutdownState, createLogger, isDependencyOutage } from '@spectest/platform';
import { ProgressWriter } from '@spectest/progress';
import { Logger } from 'nestjs-pino';
import type { Server } from 'node:http';
import { DataSource } from 'typeorm';
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
  /** Publish recorded dispatches the broker did not get (the outbox); default: when `worker`. Intake sets it. */
  dispatches?: boolean;
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
  const dispatches = def.dispatches ?? def.worker;
  @Module({ imports: [...infrastructureImports(def.service, def.config, messaging, { dispatches }), ...def.modules] })
  class RootModule {}

  // JSON from the first line (a database it waits for at start included); nestjs-pino takes over once built.
  const app = await NestFactory.create<NestExpressApplication>(RootModule, { logger: new JsonNestLogger(def.service, def.config.LOG_LEVEL), bodyParser: false });
  app.useLogger(app.get(Logger));
  app.useGlobalFilters(new ProblemDetailsFilter());
  app.disable('x-powered-by');
  app.set('trust proxy', true);
  await def.configure?.(app);
  let gate: DependencyGate | undefined;
  if (def.worker) {
    gate = dependencyGate(app.get(DataSource), messaging, new NestLogger('WorkGate'));
    const consume = workConsumeOptions(app.get(ProgressWriter), gate, new NestLogger('Work'));
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
      // Handlers waiting in place for a dependency stop waiting, so the drain can release them.
      gate?.stop();
      await app.close();
      await messaging.close();
    })());
  return { app, messaging, url, stop };
}

/** Stage concurrency per process: parsing and packaging are CPU-bound, enhancing waits on the model. */
const STAGE_CONCURRENCY: Record<WorkStage, number> = { parse: 2, enhance: 8, package: 2 };

/** The readiness checks of the process as the workers' gate: no work is pulled while one fails. */
function dependencyGate(ds: DataSource, messaging: Messaging, logger: NestLogger): DependencyGate {
  return new DependencyGate({
    probe: async () => {
      await pingDatabase(ds);
      await messaging.ping();
    },
    onChange: (open, error) =>
      open ? logger.log('dependencies reachable again; taking work') : logger.warn({ err: String((error as Error)?.message ?? error) }, 'a dependency is down; taking no work until it is back'),
  });
}

/**
 * Every stage's consume options. A message given up after `maxDeliver` attempts fails its task with a
 * clear code, unless it is stale (a newer dispatch or a live run owns the task): then it does nothing.
 * A malformed message that names its task fails that task at once: no retry can make it valid.
 */
function workConsumeOptions(writer: ProgressWriter, gate: DependencyGate, logger: NestLogger): Record<WorkStage, ConsumeOptions> {
  const options = (stage: WorkStage): ConsumeOptions => ({
    concurrency: STAGE_CONCURRENCY[stage],
    gate,
    isTransient: isDependencyOutage,
    onGiveUp: async (payload, error) => {
      const msg = WorkMessageSchema.safeParse(payload);
      if (!msg.success) return;
      const reason = `the ${stage} step failed repeatedly`;
      const result = await writer.report(
        msg.data.taskId,
        {
          type: 'failed',
          messageKey: 'task.failed',
          messageParams: { reason },
          error: { code: 'worker_failed', message: `${reason}: ${(error as Error)?.message ?? String(error)}` },
        },
        { generation: msg.data.generation, stage },
      );
      if (!result.ok && result.reason === 'stale_dispatch') logger.log({ taskId: msg.data.taskId, stage, detail: result.detail }, 'give-up of a stale work message dropped');
    },
    onPoison: async (_payload, error) => {
      if (!(error instanceof InvalidWorkMessageError) || !error.taskId) return;
      await writer.report(error.taskId, {
        type: 'failed',
        messageKey: 'task.failed',
        messageParams: { reason: 'its work message was malformed' },
        error: { code: 'invalid_work_message', message: error.message },
      });
    },
  });
  return { parse: options('parse'), enhance: options('enhance'), package: options('package') };
}

/** Longest pause between two attempts to reach the broker at start. */
const MAX_CONNECT_PAUSE_MS = 10_000;

/** Full mode: one service per process over NATS. SIGTERM/SIGINT stop it gracefully within SHUTDOWN_TIMEOUT_MS. */
export async function runService(def: ServiceDefinition): Promise<RunningService> {
  const messaging = await connectWhenReachable(def);
  const running = await startApplication(def, messaging);
  exitOnSignals(running, def.config.SHUTDOWN_TIMEOUT_MS);
  return running;
}

/**
 * A service may start before its broker: it waits, trying again with backoff and one JSON line per try,
 * instead of exiting (and restarting in a loop under an orchestrator).
 */
async function connectWhenReachable(def: ServiceDefinition): Promise<NatsMessaging> {
  const log = createLogger(def.service, def.config.LOG_LEVEL);
  for (let attempt = 1; ; attempt += 1) {
    try {
      const messaging = await NatsMessaging.connect({ url: def.config.NATS_URL, prefix: def.config.NATS_PREFIX, name: `spectest-${def.service}`, logger: log });
      if (attempt > 1) log.info({ attempt }, 'broker reachable');
      return messaging;
    } catch (err) {
      const pauseMs = Math.min(MAX_CONNECT_PAUSE_MS, 500 * 2 ** (attempt - 1));
      log.warn({ attempt, retryInMs: pauseMs, err: String((err as Error)?.message ?? err) }, 'broker not reachable; waiting');
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
  }
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
