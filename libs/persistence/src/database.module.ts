import { DynamicModule, Global, Inject, Injectable, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AiUsageStore } from './ai-usage.store';
import { PostgresArtifactStore } from './artifact.store';
import { DatabaseOptions, createDataSource, runMigrations } from './data-source';
import { DispatchStore } from './dispatch.store';
import { EnhancementCheckpointStore } from './enhancement-checkpoint.store';
import { GenerationStore } from './generation.store';
import { TaskStore } from './task.store';

export const ARTIFACT_STORE = Symbol('ARTIFACT_STORE');

export interface DatabaseModuleOptions extends DatabaseOptions {
  /** Apply pending migrations at start (under an advisory lock, safe with many replicas). */
  migrate: boolean;
}

@Injectable()
class DataSourceCloser implements OnApplicationShutdown {
  constructor(@Inject(DataSource) private readonly ds: DataSource) {}
  async onApplicationShutdown(): Promise<void> {
    // Runs after the transports closed, so in-flight transactions finished first.
    if (this.ds.isInitialized) await this.ds.destroy();
  }
}

/** Longest pause between two attempts to reach the database at start. */
const MAX_CONNECT_PAUSE_MS = 10_000;

/**
 * A service may start before its database (a restart of both, a pod scheduled first): it waits, trying
 * again with backoff and one log line per try, instead of exiting. Migrations run once it is reachable.
 */
async function connectWhenReachable(options: DatabaseModuleOptions): Promise<DataSource> {
  const logger = new Logger('Database');
  for (let attempt = 1; ; attempt += 1) {
    const ds = createDataSource(options);
    try {
      await ds.initialize();
      if (options.migrate) await runMigrations(ds);
      if (attempt > 1) logger.log({ attempt }, 'database reachable');
      return ds;
    } catch (err) {
      if (ds.isInitialized) await ds.destroy().catch(() => undefined);
      const pauseMs = Math.min(MAX_CONNECT_PAUSE_MS, 500 * 2 ** (attempt - 1));
      logger.warn({ attempt, retryInMs: pauseMs, err: (err as Error)?.message ?? String(err) }, 'database not reachable; waiting');
      await new Promise((resolve) => setTimeout(resolve, pauseMs));
    }
  }
}

/** The database of a service: an initialized (and migrated) DataSource and the stores built on it. */
@Global()
@Module({})
export class DatabaseModule {
  static forRoot(options: DatabaseModuleOptions): DynamicModule {
    return {
      module: DatabaseModule,
      providers: [
        {
          provide: DataSource,
          useFactory: () => connectWhenReachable(options),
        },
        { provide: TaskStore, useFactory: (ds: DataSource) => new TaskStore(ds), inject: [DataSource] },
        { provide: GenerationStore, useFactory: (ds: DataSource) => new GenerationStore(ds), inject: [DataSource] },
        { provide: AiUsageStore, useFactory: (ds: DataSource) => new AiUsageStore(ds), inject: [DataSource] },
        { provide: DispatchStore, useFactory: (ds: DataSource) => new DispatchStore(ds), inject: [DataSource] },
        { provide: EnhancementCheckpointStore, useFactory: (ds: DataSource) => new EnhancementCheckpointStore(ds), inject: [DataSource] },
        { provide: ARTIFACT_STORE, useFactory: (ds: DataSource) => new PostgresArtifactStore(ds), inject: [DataSource] },
        DataSourceCloser,
      ],
      exports: [DataSource, TaskStore, GenerationStore, AiUsageStore, DispatchStore, EnhancementCheckpointStore, ARTIFACT_STORE],
    };
  }
}
