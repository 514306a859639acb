import { DynamicModule, Global, Inject, Injectable, Module, OnApplicationShutdown } from '@nestjs/common';
import { DataSource } from 'typeorm';
import { AiUsageStore } from './ai-usage.store';
import { PostgresArtifactStore } from './artifact.store';
import { DatabaseOptions, createDataSource, runMigrations } from './data-source';
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
          useFactory: async () => {
            const ds = createDataSource(options);
            await ds.initialize();
            if (options.migrate) await runMigrations(ds);
            return ds;
          },
        },
        { provide: TaskStore, useFactory: (ds: DataSource) => new TaskStore(ds), inject: [DataSource] },
        { provide: GenerationStore, useFactory: (ds: DataSource) => new GenerationStore(ds), inject: [DataSource] },
        { provide: AiUsageStore, useFactory: (ds: DataSource) => new AiUsageStore(ds), inject: [DataSource] },
        { provide: ARTIFACT_STORE, useFactory: (ds: DataSource) => new PostgresArtifactStore(ds), inject: [DataSource] },
        DataSourceCloser,
      ],
      exports: [DataSource, TaskStore, GenerationStore, AiUsageStore, ARTIFACT_STORE],
    };
  }
}
