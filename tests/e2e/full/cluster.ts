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
  /** The process id of each service started with the cluster (for RSS measurements). */
  pids: Partial<Record<ServiceName, number>>;
  stopService(name: ServiceName, signal?: NodeJS.Signals): Promise<number | null>;
  /** One more gateway process over the same NATS and Postgres (a replica), on `port` or a free one. */
  startGateway(port?: number, env?: Record<string, string>): Promise<ServiceProcess>;
  stop(): Promise<void>;
}

/** A service process started beside the cluster (e.g. an extra gateway replica). */
export interface ServiceProcess {
  url: string;
  port: number;
  logs: string[];
  /** Sends the signal and waits for the exit (SIGKILL after 20 s). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
}

export interface ClusterOptions {
  /** Which services to start (default all five); extra gateways can be added with startGateway. */
  services?: readonly ServiceName[];
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
export async function startCluster(extraEnv: Record<string, string> = {}, options: ClusterOptions = {}): Promise<RunningCluster> {
  const services = options.services ?? SERVICES;
  const db = await createTestDatabase();
  const nats = testNatsConfig();
  const secret = `e2e-secret-${Math.random().toString(36).slice(2)}-long-enough`;
  const procs = new Map<ServiceName, ChildProcess>();
  const extras: ServiceProcess[] = [];
  const urls = {} as Record<ServiceName, string>;
  const logs = {} as Record<ServiceName, string[]>;
  const spawnService = (name: ServiceName, port: number, sink: string[], env: Record<string, string> = {}): ChildProcess => {
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
        ...env,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    proc.stdout?.on('data', (d) => sink.push(String(d)));
    proc.stderr?.on('data', (d) => sink.push(String(d)));
    return proc;
  };
  const stopProcess = async (proc: ChildProcess | undefined, signal: NodeJS.Signals): Promise<number | null> => {
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return proc?.exitCode ?? null;
    const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
    proc.kill(signal);
    const timer = setTimeout(() => proc.kill('SIGKILL'), 20_000);
    const code = await exited;
    clearTimeout(timer);
    return code;
  };
  for (const name of services) {
    const port = await freePort();
    urls[name] = `http://127.0.0.1:${port}`;
    logs[name] = [];
    procs.set(name, spawnService(name, port, logs[name]));
  }

  const stopService = (name: ServiceName, signal: NodeJS.Signals = 'SIGTERM'): Promise<number | null> => stopProcess(procs.get(name), signal);
  const startGateway = async (port?: number, env: Record<string, string> = {}): Promise<ServiceProcess> => {
    const p = port ?? (await freePort());
    const sink: string[] = [];
    const proc = spawnService('gateway', p, sink, env);
    const extra: ServiceProcess = { url: `http://127.0.0.1:${p}`, port: p, logs: sink, stop: (signal = 'SIGTERM') => stopProcess(proc, signal) };
    extras.push(extra);
    try {
      await waitReady(extra.url, proc, sink, 60_000);
    } catch (err) {
      await extra.stop('SIGKILL');
      throw err;
    }
    return extra;
  };
  const stop = async () => {
    await Promise.all([...services.map((n) => stopService(n)), ...extras.map((e) => e.stop())]);
    await deleteNatsTestStreams(nats.url, nats.prefix).catch(() => undefined);
    await db.drop();
  };

  try {
    // All start at once: they migrate the same fresh database concurrently (advisory lock).
    await Promise.all(services.map((n) => waitReady(urls[n], procs.get(n)!, logs[n], 60_000)));
  } catch (err) {
    await stop();
    throw err;
  }
  const pids = Object.fromEntries([...procs].map(([name, proc]) => [name, proc.pid])) as RunningCluster['pids'];
  return { urls, secret, databaseUrl: db.url, natsUrl: nats.url, natsPrefix: nats.prefix, logs, pids, stopService, startGateway, stop };
}
