import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createTestDatabase, deleteNatsTestStreams, freePort, testNatsConfig } from '@spectest/testing';

export const SERVICES = ['intake', 'gateway', 'spec-parser', 'ai-enhancer', 'packager'] as const;
export type ServiceName = (typeof SERVICES)[number];

const ROOT = join(__dirname, '..', '..', '..');

export interface RunningCluster {
  /** The first process of each service. */
  urls: Record<ServiceName, string>;
  secret: string;
  databaseUrl: string;
  natsUrl: string;
  natsPrefix: string;
  /** Output of the first process of each service. */
  logs: Record<ServiceName, string[]>;
  /** Every process started for a service, the first one first (replicas, restarts). */
  processes: Record<ServiceName, ServiceProcess[]>;
  /** Stops the first process of the service. */
  stopService(name: ServiceName, signal?: NodeJS.Signals): Promise<number | null>;
  /** One more process of a service over the same NATS and Postgres (a replica, or a restart on `port`). */
  startService(name: ServiceName, port?: number, env?: Record<string, string>, options?: { waitReady?: boolean }): Promise<ServiceProcess>;
  /** One more gateway process over the same NATS and Postgres (a replica), on `port` or a free one. */
  startGateway(port?: number, env?: Record<string, string>): Promise<ServiceProcess>;
  stop(): Promise<void>;
}

/** A service process started beside the cluster (e.g. an extra gateway replica). */
export interface ServiceProcess {
  name: ServiceName;
  url: string;
  port: number;
  logs: string[];
  /** The process id (for RSS measurements). */
  pid: number;
  readonly running: boolean;
  /** Sends the signal and waits for the exit (SIGKILL after 20 s). */
  stop(signal?: NodeJS.Signals): Promise<number | null>;
  /** Resolves once /health/ready answers 200. */
  ready(timeoutMs?: number): Promise<void>;
}

export interface ClusterOptions {
  /** Which services to start (default all five); more can be added with startService. */
  services?: readonly ServiceName[];
  /** Processes per service at start (default 1 each). */
  replicas?: Partial<Record<ServiceName, number>>;
  /** A database of the caller's (it is not dropped); default: a fresh test database on the machine's Postgres. */
  databaseUrl?: string;
  /** A NATS of the caller's and the prefix to use; default: the machine's NATS under a fresh test prefix. */
  nats?: { url: string; prefix: string };
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

const stopProcess = async (proc: ChildProcess, signal: NodeJS.Signals): Promise<number | null> => {
  if (proc.exitCode !== null || proc.signalCode !== null) return proc.exitCode;
  const exited = new Promise<number | null>((resolve) => proc.once('exit', (code) => resolve(code)));
  proc.kill(signal);
  const timer = setTimeout(() => proc.kill('SIGKILL'), 20_000);
  const code = await exited;
  clearTimeout(timer);
  return code;
};

/**
 * The five services as separate processes (the built dist/main.js of each), in full mode:
 * real NATS (own subject prefix) and real Postgres (own database), JWT auth.
 */
export async function startCluster(extraEnv: Record<string, string> = {}, options: ClusterOptions = {}): Promise<RunningCluster> {
  const services = options.services ?? SERVICES;
  const db = options.databaseUrl ? { url: options.databaseUrl, drop: async () => undefined } : await createTestDatabase();
  const nats = options.nats ?? testNatsConfig();
  const secret = `e2e-secret-${Math.random().toString(36).slice(2)}-long-enough`;
  const processes = Object.fromEntries(SERVICES.map((n) => [n, [] as ServiceProcess[]])) as Record<ServiceName, ServiceProcess[]>;

  const spawnService = async (name: ServiceName, port?: number, env: Record<string, string> = {}): Promise<ServiceProcess> => {
    const p = port ?? (await freePort());
    const logs: string[] = [];
    const proc = spawn(process.execPath, [join(ROOT, 'services', name, 'dist', 'main.js')], {
      cwd: ROOT,
      env: {
        PATH: process.env.PATH,
        HOME: process.env.HOME,
        PORT: String(p),
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
    proc.stdout?.on('data', (d) => logs.push(String(d)));
    proc.stderr?.on('data', (d) => logs.push(String(d)));
    const url = `http://127.0.0.1:${p}`;
    const started: ServiceProcess = {
      name,
      url,
      port: p,
      logs,
      pid: proc.pid!,
      get running() {
        return proc.exitCode === null && proc.signalCode === null;
      },
      stop: (signal = 'SIGTERM') => stopProcess(proc, signal),
      ready: (timeoutMs = 60_000) => waitReady(url, proc, logs, timeoutMs),
    };
    processes[name].push(started);
    return started;
  };

  const startService = async (name: ServiceName, port?: number, env?: Record<string, string>, opts: { waitReady?: boolean } = {}): Promise<ServiceProcess> => {
    const started = await spawnService(name, port, env);
    if (opts.waitReady === false) return started;
    try {
      await started.ready();
    } catch (err) {
      await started.stop('SIGKILL');
      throw err;
    }
    return started;
  };
  const stop = async () => {
    await Promise.all(Object.values(processes).flatMap((list) => list.map((p) => p.stop())));
    if (!options.nats) await deleteNatsTestStreams(nats.url, nats.prefix).catch(() => undefined);
    await db.drop();
  };

  try {
    for (const name of services) for (let i = 0; i < (options.replicas?.[name] ?? 1); i++) await spawnService(name);
    // All start at once: they migrate the same fresh database concurrently (advisory lock).
    await Promise.all(Object.values(processes).flatMap((list) => list.map((p) => p.ready())));
  } catch (err) {
    await stop();
    throw err;
  }
  const first = (name: ServiceName) => processes[name][0];
  return {
    urls: Object.fromEntries(services.map((n) => [n, first(n).url])) as Record<ServiceName, string>,
    logs: Object.fromEntries(services.map((n) => [n, first(n).logs])) as Record<ServiceName, string[]>,
    processes,
    secret,
    databaseUrl: db.url,
    natsUrl: nats.url,
    natsPrefix: nats.prefix,
    stopService: async (name, signal = 'SIGTERM') => (first(name) ? first(name).stop(signal) : null),
    startService,
    startGateway: (port, env) => startService('gateway', port, env),
    stop,
  };
}
