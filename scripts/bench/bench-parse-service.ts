import { execFileSync, spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** Gaps between the stored events of one stage, as a watcher replaying the task sees them. */
export interface StageGaps {
  events: number;
  ms: number;
  longestGapMs: number;
  after: string;
}

export interface ServiceMeasure {
  target: string;
  status: string;
  caseCount?: number;
  /** Submission to the answer of `Prefer: wait` (the whole task: parsing, foundation, enhancing skipped, packaging). */
  taskMs: number;
  /** First parsing event to the last foundation event. */
  parseAndFoundationMs?: number;
  /** Peak RSS of the app process (Postgres runs in its own processes), sampled every 200 ms. */
  peakRssMiB: number;
  parsing?: StageGaps;
  foundation?: StageGaps;
  error?: string;
}

interface StoredEvent {
  stage: string;
  timestamp: string;
  messageKey: string;
  messageParams?: Record<string, unknown>;
}

/**
 * The spec through the real service: the embedded app (every service in one process, its own Postgres),
 * built beforehand (`npm run build`). Submits the spec with `Prefer: wait`, then replays the task's
 * events over SSE and reports the longest silence of the parsing and foundation stages as stored.
 */
export async function measureService(repoRoot: string, target: string, file: string): Promise<ServiceMeasure> {
  const main = join(repoRoot, 'apps', 'embedded', 'dist', 'main.js');
  if (!existsSync(main)) return { target, status: 'not run', taskMs: 0, peakRssMiB: 0, error: `${main} is missing: run npm run build first` };
  const dataDir = mkdtempSync(join(tmpdir(), 'spectest-bench-parse-'));
  // The embedded Postgres runs as the postgres user when started as root: it must reach the folder.
  chmodSync(dataDir, 0o755);
  // Loaded here, not at the top: bench-parse's measuring children load this file too, and their peak RSS
  // should not include the pg and nats clients that @spectest/testing brings.
  const { freePort } = await import('@spectest/testing');
  const [port, pgPort] = [await freePort(), await freePort()];
  const proc = spawn(process.execPath, [main], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', PORT: String(port), EMBEDDED_PG_PORT: String(pgPort), SPECTEST_DATA_DIR: dataDir, LOG_LEVEL: 'warn' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const logs: string[] = [];
  proc.stdout?.on('data', (d) => logs.push(String(d)));
  proc.stderr?.on('data', (d) => logs.push(String(d)));
  const exited = new Promise((resolve) => proc.once('exit', resolve));
  const url = `http://127.0.0.1:${port}`;
  let peak = 0;
  const sampler = setInterval(() => {
    try {
      peak = Math.max(peak, Number(execFileSync('ps', ['-o', 'rss=', '-p', String(proc.pid)]).toString().trim()));
    } catch {
      /* exited */
    }
  }, 200);
  try {
    await waitReady(url, proc, logs);
    const form = new FormData();
    form.append('spec', new Blob([readFileSync(file)]), 'spec.json');
    const started = Date.now();
    const res = await fetch(`${url}/v1/tasks`, { method: 'POST', body: form, headers: { Prefer: 'wait=300' } });
    const body = (await res.json()) as { taskId?: string; id?: string; status: string; result?: { caseCount?: number }; error?: { code: string } };
    const taskMs = Date.now() - started;
    const taskId = body.taskId ?? body.id;
    const sse = await (await fetch(`${url}/v1/tasks/${taskId}/events?after=0`)).text();
    const events = sse
      .split('\n\n')
      .map((block) => block.split('\n').find((line) => line.startsWith('data: ')))
      .filter((line): line is string => line !== undefined)
      .map((line) => JSON.parse(line.slice(6)) as StoredEvent);
    const first = events.find((e) => e.stage === 'parsing');
    const last = [...events].reverse().find((e) => e.stage === 'foundation');
    return {
      target,
      status: body.error ? `${body.status} (${body.error.code})` : body.status,
      caseCount: body.result?.caseCount,
      taskMs,
      parseAndFoundationMs: first && last ? Date.parse(last.timestamp) - Date.parse(first.timestamp) : undefined,
      peakRssMiB: Math.round(peak / 1024),
      parsing: gaps(events.filter((e) => e.stage === 'parsing')),
      foundation: gaps(events.filter((e) => e.stage === 'foundation')),
    };
  } catch (error) {
    return { target, status: 'error', taskMs: 0, peakRssMiB: Math.round(peak / 1024), error: (error as Error).message.slice(0, 500) };
  } finally {
    clearInterval(sampler);
    if (proc.exitCode === null && proc.signalCode === null) proc.kill('SIGTERM');
    await exited;
    rmSync(dataDir, { recursive: true, force: true });
  }
}

function gaps(events: StoredEvent[]): StageGaps {
  let longest = 0;
  let after = '';
  for (let i = 1; i < events.length; i++) {
    const gap = Date.parse(events[i].timestamp) - Date.parse(events[i - 1].timestamp);
    if (gap > longest) [longest, after] = [gap, `${events[i - 1].messageKey} ${JSON.stringify(events[i - 1].messageParams ?? {})}`];
  }
  const ms = events.length > 1 ? Date.parse(events[events.length - 1].timestamp) - Date.parse(events[0].timestamp) : 0;
  return { events: events.length, ms, longestGapMs: longest, after };
}

async function waitReady(url: string, proc: ReturnType<typeof spawn>, logs: string[]): Promise<void> {
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`the app exited before it was ready: ${logs.join('').slice(0, 1500)}`);
    try {
      if ((await fetch(`${url}/health/ready`)).status === 200) return;
    } catch {
      /* not listening yet */
    }
    if (Date.now() > deadline) throw new Error('the app was not ready within 120 s');
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}
