import { DynamicModule, ModuleMetadata } from '@nestjs/common';
import { MessagingModule, Messaging } from '@spectest/messaging';
import { DatabaseModule, pingDatabase } from '@spectest/persistence';
import { PlatformModule, ReadinessCheck } from '@spectest/platform';
import { ProgressModule } from '@spectest/progress';
import { DataSource } from 'typeorm';

export interface InfrastructureConfig {
  LOG_LEVEL: string;
  DATABASE_URL: string;
  DB_POOL_SIZE: number;
  DB_MIGRATE: boolean;
  PROGRESS_BATCH_MAX: number;
}

/**
 * The modules every service stands on: logs/health/metrics, the database and its stores, the
 * messaging instance (NATS or in-process), and the progress writer/readers. Imported once per process.
 */
export function infrastructureImports(
  service: string,
  cfg: InfrastructureConfig,
  messaging: Messaging,
  opts: { dispatches?: boolean } = {},
): NonNullable<ModuleMetadata['imports']> {
  const imports: DynamicModule[] = [
    PlatformModule.forRoot({
      service,
      logLevel: cfg.LOG_LEVEL,
      readiness: {
        useFactory: (ds: DataSource): ReadinessCheck[] => [
          { name: 'database', check: () => pingDatabase(ds) },
          { name: 'broker', check: () => messaging.ping() },
        ],
        inject: [DataSource],
      },
    }),
    DatabaseModule.forRoot({ url: cfg.DATABASE_URL, poolSize: cfg.DB_POOL_SIZE, migrate: cfg.DB_MIGRATE, applicationName: `spectest-${service}` }),
    MessagingModule.forRoot(messaging),
    ProgressModule.forRoot({ maxBatch: cfg.PROGRESS_BATCH_MAX, dispatchOutbox: opts.dispatches ?? false }),
  ];
  return imports;
}
