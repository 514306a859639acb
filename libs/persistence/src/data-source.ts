import { DataSource } from 'typeorm';
import { ArtifactChunkEntity } from './entities/artifact-chunk.entity';
import { ArtifactEntity } from './entities/artifact.entity';
import { SpecEntity } from './entities/spec.entity';
import { TaskCaseEntity } from './entities/task-case.entity';
import { TaskDocumentEntity } from './entities/task-document.entity';
import { TaskEventEntity } from './entities/task-event.entity';
import { TaskEntity } from './entities/task.entity';
import { InitialSchema1732550400000 } from './migrations/1732550400000-initial-schema';
import { AiUsage1764028800000 } from './migrations/1764028800000-ai-usage';
import { ArtifactChunks1795564800000 } from './migrations/1795564800000-artifact-chunks';
import { DispatchAndCheckpoints1798156800000 } from './migrations/1798156800000-dispatch-and-checkpoints';

export const ENTITIES = [TaskEntity, TaskEventEntity, SpecEntity, TaskDocumentEntity, TaskCaseEntity, ArtifactEntity, ArtifactChunkEntity];
export const MIGRATIONS = [InitialSchema1732550400000, AiUsage1764028800000, ArtifactChunks1795564800000, DispatchAndCheckpoints1798156800000];

export interface DatabaseOptions {
  url: string;
  /** Pool size per process. */
  poolSize?: number;
  applicationName?: string;
}

/** The TypeORM data source of every service. Never `synchronize`: the schema comes from migrations. */
export function createDataSource(opts: DatabaseOptions): DataSource {
  return new DataSource({
    type: 'postgres',
    url: opts.url,
    entities: ENTITIES,
    migrations: MIGRATIONS,
    synchronize: false,
    migrationsRun: false,
    logging: false,
    applicationName: opts.applicationName,
    extra: { max: opts.poolSize ?? 10, connectionTimeoutMillis: 5000 },
  });
}

/** Stable key of the advisory lock that serialises migrations across processes starting together. */
const MIGRATION_LOCK_KEY = 424242;

/** Runs pending migrations once across all processes: the first to take the lock migrates, the others wait. */
export async function runMigrations(ds: DataSource): Promise<string[]> {
  const runner = ds.createQueryRunner();
  await runner.connect();
  try {
    await runner.query('SELECT pg_advisory_lock($1)', [MIGRATION_LOCK_KEY]);
    const done = await ds.runMigrations({ transaction: 'all' });
    return done.map((m) => m.name);
  } finally {
    await runner.query('SELECT pg_advisory_unlock($1)', [MIGRATION_LOCK_KEY]).catch(() => undefined);
    await runner.release();
  }
}

export async function pingDatabase(ds: DataSource): Promise<void> {
  await ds.query('SELECT 1');
}
