import { DynamicModule, Global, Module, Provider } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { LoggerModule } from 'nestjs-pino';
import { HealthController } from './health.controller';
import { initMetrics } from './metrics';
import { MetricsController } from './metrics.controller';
import { requestSerializer } from './request-log.serializer';
import { READINESS_CHECKS, ReadinessCheck, ShutdownState } from './readiness';

export interface PlatformOptions {
  service: string;
  logLevel?: string;
  /** Dependencies checked by /health/ready: a provider factory so checks can use injected connections. */
  readiness: Omit<Extract<Provider, { useFactory: unknown }>, 'provide'> | { useValue: ReadinessCheck[] };
}

/**
 * What every service has: JSON logs (pino), /health/live, /health/ready, /metrics, and the
 * shutdown state readiness reports. Import once per application.
 */
@Global()
@Module({})
export class PlatformModule {
  static forRoot(options: PlatformOptions): DynamicModule {
    initMetrics(options.service);
    return {
      module: PlatformModule,
      imports: [
        TerminusModule.forRoot({ logger: false }),
        LoggerModule.forRoot({
          pinoHttp: {
            level: options.logLevel ?? 'info',
            base: { service: options.service },
            autoLogging: { ignore: (req) => /^\/(health|metrics)/.test(req.url ?? '') },
            // pino-http hands the serializer its standard serialization of the request.
            serializers: { req: requestSerializer },
            customProps: (req) => {
              const m = /\/v1\/tasks\/([0-9a-f-]{36})/.exec((req as { url?: string }).url ?? '');
              return m ? { taskId: m[1] } : {};
            },
          },
        }),
      ],
      controllers: [HealthController, MetricsController],
      providers: [ShutdownState, { provide: READINESS_CHECKS, ...options.readiness } as Provider],
      exports: [ShutdownState],
    };
  }
}
