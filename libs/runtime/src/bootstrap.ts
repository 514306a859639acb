import { DynamicModule, INestApplication, Module, Type } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import type { NestExpressApplication } from '@nestjs/platform-express';
import { WorkStage } from '@spectest/contracts';
import { ConsumeOptions, Messaging, NatsMessaging, WorkTransportStrategy } from '@spectest/messaging';
import { ProblemDetailsFilter, ShutdownState } from '@spectest/platform';
import { ProgressWriter } from '@spectest/progress';
import { Logger } from 'nestjs-pino';
import { InfrastructureConfig, infrastructureImports } from './infrastructure';

export interface ServiceConfig extends InfrastructureConfig {
  PORT: number;
  NATS_URL: string;
  NATS_PREFIX: string;
  SHUTDOWN_TIMEOUT_MS: number;
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
export async function startApplication(def: Omit<ServiceDefinition, 'config'> & { config: InfrastructureConfig & { PORT: number; SHUTDOWN_TIMEOUT_MS: number } }, messaging: Messaging): Promise<RunningService> {
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
  await app.listen(def.config.PORT, process.env.HOST ?? '0.0.0.0');
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
