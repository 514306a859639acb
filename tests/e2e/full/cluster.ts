import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createTestDatabase, deleteNatsTestStreams, freePort, testNatsConfig } from '@spectest/testing';

export const SERVICES = ['intake', 'gateway', 'spec-parser', 'ai-enhancer', 'packager'] as const;
export type ServiceName = (typeof SERVICES)[number];

const ROOT = join(__dirname, '..', '..', '..');

export interface RunningCluster {
  urls: Record<ServiceName, string>;
  secret: string;
  databaseUrl: string;
  natsUrl: string;
  natsPrefix: string;
  logs: Record<ServiceName, string[]>;
  stopService(name: ServiceName, signal?: NodeJS.Signals): Promise<number | null>;
  stop(): Promise<void>;
}

async function waitReady(url: string, proc: ChildProcess, logs: string[], timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (proc.exitCode !== null) throw new Error(`process exited with ${proc.exitCode}:\n${logs.join('').slice(-3000)}`);
    try {
      const res = await fetch(`${url}/health/ready`);
      if (res.status === 200) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`${url} not ready in ${timeoutMs} ms:\n${logs.join('').slice(-3000)}`);
}

/**
 * The five services as separate processes (the built dist/main.js of each), in full mode:
 * real NATS (own subject prefix) and real Postgres (own database), JWT auth.
 */
export async function startCluster(extraEnv: Record<string, string> = {}): Promise<RunningCluster> {
  const db = await createTestDatabase();
  const nats = testNatsConfig();
  const secret = `e2e-secret-${Math.random().toString(36).slice(2)}-long-enough`;
  const procs = new Map<ServiceName, ChildProcess>();
  const urls = {} as Record<ServiceName, string>;
  const logs = {} as Record<ServiceName, string[]>;
  for (const name of SERVICES) {
    const port = await freePort();
    urls[name] = `http://127.0.0.1:${port}`;
    logs[name] = [];
    const proc = spawn(process.execPath, [join(ROOT, 'services', name, 'dist', 'main.js')], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        PORT: String(port),
        HOST: '127.0.0.1',
        DATABASE_URL: db.url,
        NATS_URL: nats.url,
        NATS_PREFIX: nats.prefix,
        AUTH_MODE: 'jwt',
        AUTH_JWT_SECRET: secret,
        LOG_LEVEL: 'warn',
        DB_POOL_SIZE: '4',
        SHUTDOWN_TIMEOUT_MS: '10000',
        ...extraEnv,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    proc.stdout?.on('data', (d) => logs[name].push(String(d)));
    proc.stderr?.on('data', (d) => logs[name].push(String(d)));
    procs.set(name, proc);
  }

  const stopService = async (name: ServiceName, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> => {
    const proc = procs.get(name);
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return proc?.exitCode ?? null;
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    proc.kill(signal);
    const timer = setTimeout(() => proc.kill('SIGKILL'), 20_000);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };
  const stop = async () => {
    await Promise.all(SERVICES.map((n) => stopService(n)));
    await deleteNatsTestStreams(nats.url, nats.prefix).catch(() => undefined);
    await db.drop();
  };

  try {
    // All five start at once: they migrate the same fresh database concurrently (advisory lock).
    await Promise.all(SERVICES.map((n) => waitReady(urls[n], procs.get(n)!, logs[n], 60_000)));
  } catch (err) {
    await stop();
    throw err;
  }
  return { urls, secret, databaseUrl: db.url, natsUrl: nats.url, natsPrefix: nats.prefix, logs, stopService, stop };
}
