import { ChildProcess, spawn } from 'node:child_process';
import { closeSync, openSync, readFileSync } from 'node:fs';

/**
 * A server started by the harness: its own process group (so a server that forks, or a shell wrapper,
 * goes down whole), output in a log file, and registered so that an interrupted run still stops it.
 */
export interface ServerProcess {
  name: string;
  pid: number;
  /** Resolves when the process has exited. */
  exited: Promise<void>;
  hasExited(): boolean;
  /** The last lines of its log, for error messages. */
  logTail(lines?: number): string;
  /** SIGTERM to the group, SIGKILL after `graceMs`; resolves once it has exited. */
  stop(graceMs?: number): Promise<void>;
}

const running = new Set<ServerProcess>();

export function startServerProcess(
  name: string,
  command: string,
  args: string[],
  options: { cwd: string; env?: NodeJS.ProcessEnv; logFile: string },
): ServerProcess {
  const log = openSync(options.logFile, 'a');
  let child: ChildProcess;
  try {
    child = spawn(command, args, { cwd: options.cwd, env: options.env ?? process.env, stdio: ['ignore', log, log], detached: true });
  } finally {
    closeSync(log);
  }
  let exited = false;
  const exitedPromise = new Promise<void>((resolve) => {
    child.once('exit', () => {
      exited = true;
      resolve();
    });
    child.once('error', () => {
      exited = true;
      resolve();
    });
  });
  const pid = child.pid ?? -1;
  const handle: ServerProcess = {
    name,
    pid,
    exited: exitedPromise,
    hasExited: () => exited,
    logTail: (lines = 15) => {
      try {
        return readFileSync(options.logFile, 'utf8').trimEnd().split('\n').slice(-lines).join('\n');
      } catch {
        return '(no log)';
      }
    },
    stop: async (graceMs = 10_000) => {
      if (!exited && pid > 0) {
        signalGroup(pid, 'SIGTERM');
        const timer = setTimeout(() => signalGroup(pid, 'SIGKILL'), graceMs);
        await exitedPromise;
        clearTimeout(timer);
      }
      // The leader has gone; anything it left in its group goes with it.
      if (pid > 0) signalGroup(pid, 'SIGKILL');
      running.delete(handle);
    },
  };
  running.add(handle);
  return handle;
}

function signalGroup(pid: number, signal: NodeJS.Signals): void {
  try {
    process.kill(-pid, signal);
  } catch {
    // Already gone.
  }
}

/** Kills every server still running, synchronously: for `exit` and for SIGINT/SIGTERM of the harness. */
export function killAllServers(): void {
  for (const server of running) signalGroup(server.pid, 'SIGKILL');
  running.clear();
}

let hooked = false;
/** Once per run: an interrupted or crashing harness leaves no server behind. */
export function stopServersOnExit(): void {
  if (hooked) return;
  hooked = true;
  process.on('exit', killAllServers);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      killAllServers();
      process.exit(130);
    });
  }
}

/**
 * Polls `url` until `ready` accepts the answer (default: any status below 500), failing early when the
 * process exits and after `timeoutMs`, with the end of its log.
 */
export async function waitForHttp(
  server: ServerProcess,
  url: string,
  options: { headers?: Record<string, string>; timeoutMs?: number; ready?: (status: number) => boolean } = {},
): Promise<void> {
  const deadline = Date.now() + (options.timeoutMs ?? 120_000);
  const ready = options.ready ?? ((status: number) => status < 500);
  let last = 'no answer';
  while (Date.now() < deadline) {
    if (server.hasExited()) throw new Error(`${server.name} exited before it was ready:\n${server.logTail()}`);
    try {
      const response = await fetch(url, { headers: options.headers, signal: AbortSignal.timeout(5_000) });
      await response.arrayBuffer();
      if (ready(response.status)) return;
      last = `status ${response.status}`;
    } catch (error) {
      last = String((error as Error).cause ?? error);
    }
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
  throw new Error(`${server.name} was not ready at ${url} in time (${last}):\n${server.logTail()}`);
}
