import { ChildProcess, execFileSync, spawn } from 'node:child_process';
import { chownSync, existsSync, readdirSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { freePort } from '@spectest/testing';
import { waitForPort } from './own-nats';

/** The machine's PostgreSQL binaries (Debian: /usr/lib/postgresql/<major>/bin), or FAULTS_PG_BIN. */
function pgBin(): string {
  if (process.env.FAULTS_PG_BIN) return process.env.FAULTS_PG_BIN;
  const root = '/usr/lib/postgresql';
  const majors = existsSync(root) ? readdirSync(root).sort((a, b) => Number(b) - Number(a)) : [];
  if (!majors.length) throw new Error('no PostgreSQL binaries under /usr/lib/postgresql (set FAULTS_PG_BIN)');
  return join(root, majors[0], 'bin');
}

/** A PostgreSQL cluster of the suite's own, in a temp dir on a free port, so it can be stopped and started. */
export interface OwnPostgres {
  /** Connection string of the database `spectest_faults_test`. */
  url: string;
  /** Fast shutdown (SIGINT): sessions are terminated, as on a restart of the server. */
  stopServer(): Promise<void>;
  startServer(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * PostgreSQL refuses to run as root: as root, the server runs as the `postgres` system user (the
 * package's), which owns the data dir. Trust authentication on loopback only.
 */
export async function startOwnPostgres(): Promise<OwnPostgres> {
  const bin = pgBin();
  const port = await freePort();
  const dir = await mkdtemp(join(tmpdir(), 'spectest-faults-pg-'));
  const asRoot = process.getuid?.() === 0;
  const ids = asRoot
    ? { uid: Number(execFileSync('id', ['-u', 'postgres']).toString().trim()), gid: Number(execFileSync('id', ['-g', 'postgres']).toString().trim()) }
    : undefined;
  if (ids) chownSync(dir, ids.uid, ids.gid);
  const data = join(dir, 'data');
  execFileSync(join(bin, 'initdb'), ['-D', data, '-A', 'trust', '-U', 'postgres', '--no-sync'], { stdio: 'ignore', ...(ids ?? {}) });
  let proc: ChildProcess | undefined;
  const startServer = async () => {
    proc = spawn(
      join(bin, 'postgres'),
      ['-D', data, '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'max_connections=300'],
      { stdio: 'ignore', ...(ids ?? {}) },
    );
    await waitForPort(port, 20_000);
    // Listening is not accepting: wait until a session opens.
    const deadline = Date.now() + 20_000;
    for (;;) {
      const client = new Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
      try {
        await client.connect();
        await client.end();
        return;
      } catch (err) {
        await client.end().catch(() => undefined);
        if (Date.now() > deadline) throw err;
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  };
  const stopServer = async () => {
    const p = proc;
    proc = undefined;
    if (!p || p.exitCode !== null) return;
    const exited = new Promise((resolve) => p.once('exit', resolve));
    p.kill('SIGINT');
    await exited;
  };
  await startServer();
  const admin = new Client({ host: '127.0.0.1', port, user: 'postgres', database: 'postgres' });
  await admin.connect();
  await admin.query('CREATE DATABASE spectest_faults_test');
  await admin.end();
  return {
    url: `postgres://postgres@127.0.0.1:${port}/spectest_faults_test`,
    stopServer,
    startServer,
    stop: async () => {
      await stopServer();
      await rm(dir, { recursive: true, force: true });
    },
  };
}
