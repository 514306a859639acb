import { ProgressUpdate } from '@spectest/contracts';
import { NatsMessaging } from '@spectest/messaging';
import { createDataSource, runMigrations } from '@spectest/persistence';
import { BatchStats, DEFAULT_PROGRESS_BATCH_MAX, MessagingEventPublisher, ProgressWriter } from '@spectest/progress';
import { createTestDatabase, testNatsConfig } from '@spectest/testing';
import { cpus, loadavg } from 'node:os';
import { performance } from 'node:perf_hooks';
import { DataSource } from 'typeorm';
import { benchTask } from '../../tests/support/task-input';

/**
 * `npm run bench:writer`: the event writer (libs/progress) alone, on a fresh Postgres database with
 * its default durability (synchronous_commit on: every commit waits for the WAL flush) and the real
 * NATS publish after commit. TASKS tasks; CALLERS concurrent callers, each reporting to one task and
 * awaiting every report as a stage does, for DURATION_MS: events/s, latency report() -> answered
 * (queue + transaction + publish) p50/p99/max, and the transactions' own size and duration. Run with
 * the batching writer (PROGRESS_BATCH_MAX default) and with batch size 1 (one transaction per event),
 * then the batching writer at fixed RATES (open loop: 2,000/s is the realtime benchmark's load,
 * 8,000/s what DESIGN.md measured for a batching writer). Overrides: BENCH_TASKS, BENCH_CALLERS,
 * BENCH_DURATION_MS, BENCH_RATES (comma-separated), PROGRESS_BATCH_MAX, BENCH_SYNC_COMMIT (on/off).
 * Figures are for this machine while it runs; they assert nothing.
 */
const TASKS = Number(process.env.BENCH_TASKS ?? 200);
const CALLERS = Number(process.env.BENCH_CALLERS ?? 400);
const DURATION_MS = Number(process.env.BENCH_DURATION_MS ?? 8_000);
const RATES = (process.env.BENCH_RATES ?? '2000,8000').split(',').map(Number);
const BATCH = Number(process.env.PROGRESS_BATCH_MAX ?? DEFAULT_PROGRESS_BATCH_MAX);
const SYNC_COMMIT = process.env.BENCH_SYNC_COMMIT ?? 'on';
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface RunFigures {
  label: string;
  events: number;
  failed: number;
  wallMs: number;
  latencies: number[];
  batches: BatchStats[];
}

const pct = (sorted: number[], p: number) => (sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] : NaN);

async function createTasks(writer: ProgressWriter, n: number): Promise<string[]> {
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const { taskId } = (await writer.createTask(benchTask(`bench ${i}`))).snapshot;
    ids.push(taskId);
  }
  return ids;
}

/** A token-progress update as the enhancing stage sends it; stageProgress creeps up so the reducer accepts every one. */
const tokens = (k: number): ProgressUpdate => ({
  stage: 'enhancing',
  stageProgress: Math.min(0.99, k / 1_000_000),
  messageKey: 'enhancing.tokens',
  messageParams: { method: 'GET', path: '/pets', completion: k, perSecond: 14.2 },
  tokens: { prompt: 45, completion: k, total: 45 + k, perSecond: 14.2 },
});

async function run(label: string, ds: DataSource, bus: NatsMessaging, maxBatch: number, load: 'closed' | number): Promise<RunFigures> {
  const batches: BatchStats[] = [];
  const writer = new ProgressWriter(ds, new MessagingEventPublisher(bus), { maxBatch, onBatch: (s) => batches.push(s) });
  const tasks = await createTasks(writer, TASKS);
  batches.length = 0;
  const latencies: number[] = [];
  let events = 0;
  let failed = 0;
  let k = 0;
  const reportOne = async (taskId: string) => {
    const t0 = performance.now();
    const r = await writer.report(taskId, tokens(++k)).catch(() => null);
    latencies.push(performance.now() - t0);
    if (r?.ok) events++;
    else failed++;
  };

  const started = performance.now();
  const end = started + DURATION_MS;
  if (load === 'closed') {
    await Promise.all(
      Array.from({ length: CALLERS }, async (_, c) => {
        while (performance.now() < end) await reportOne(tasks[c % tasks.length]);
      }),
    );
  } else {
    // Open loop: `load` reports a second spread over the tasks, whether or not the previous ones were answered.
    const inFlight: Promise<void>[] = [];
    let sent = 0;
    let next = 0;
    while (performance.now() < end) {
      const due = Math.floor(((performance.now() - started) / 1000) * load);
      for (; sent < due; sent++) inFlight.push(reportOne(tasks[next++ % tasks.length]));
      await sleep(2);
    }
    await Promise.all(inFlight);
  }
  const wallMs = performance.now() - started;
  await writer.close();
  return { label, events, failed, wallMs, latencies: latencies.sort((a, b) => a - b), batches };
}

function print(f: RunFigures): void {
  const commits = f.batches.map((b) => b.commitMs).sort((a, b) => a - b);
  const meanBatch = f.batches.reduce((n, b) => n + b.reports, 0) / Math.max(1, f.batches.length);
  console.log(
    [
      f.label.padEnd(44),
      `${(f.events / (f.wallMs / 1000)).toFixed(0)}/s`.padStart(8),
      `${pct(f.latencies, 50).toFixed(1)}`.padStart(7),
      `${pct(f.latencies, 99).toFixed(1)}`.padStart(7),
      `${(f.latencies.at(-1) ?? NaN).toFixed(1)}`.padStart(8),
      `${pct(commits, 50).toFixed(1)}`.padStart(8),
      `${pct(commits, 99).toFixed(1)}`.padStart(8),
      `${(commits.at(-1) ?? NaN).toFixed(1)}`.padStart(8),
      `${meanBatch.toFixed(1)}`.padStart(7),
      `${f.failed}`.padStart(7),
    ].join(' '),
  );
}

async function main(): Promise<void> {
  console.log(
    `bench:writer: ${TASKS} tasks, ${CALLERS} callers for ${DURATION_MS} ms, synchronous_commit=${SYNC_COMMIT}, Node ${process.version}, ${cpus().length} cores, load ${loadavg().map((l) => l.toFixed(1)).join(' ')}\n`,
  );
  const db = await createTestDatabase();
  const url = new URL(db.url);
  url.searchParams.set('options', `-c synchronous_commit=${SYNC_COMMIT}`);
  const ds = createDataSource({ url: url.toString(), poolSize: 10, applicationName: 'bench-writer' });
  const nats = testNatsConfig();
  const bus = await NatsMessaging.connect({ ...nats, logger: quiet });
  try {
    await ds.initialize();
    await runMigrations(ds);
    const runs: RunFigures[] = [];
    runs.push(await run(`batching (batch max ${BATCH}), closed loop`, ds, bus, BATCH, 'closed'));
    runs.push(await run('batch size 1, closed loop', ds, bus, 1, 'closed'));
    for (const rate of RATES) runs.push(await run(`batching (batch max ${BATCH}), ${rate}/s open loop`, ds, bus, BATCH, rate));
    console.log(
      [
        'writer'.padEnd(44),
        'events'.padStart(8),
        'p50 ms'.padStart(7),
        'p99 ms'.padStart(7),
        'max ms'.padStart(8),
        'tx p50'.padStart(8),
        'tx p99'.padStart(8),
        'tx max'.padStart(8),
        'batch'.padStart(7),
        'failed'.padStart(7),
      ].join(' '),
    );
    runs.forEach(print);
    console.log('');
    console.log(`load average after the runs: ${loadavg().map((l) => l.toFixed(1)).join(' ')} (2 cores shared with Postgres, NATS and anything else running)`);
    console.log('p50/p99/max = report() called -> answered (waiting in the queue, the transaction, the NATS publish); tx = one transaction, BEGIN to COMMIT; batch = mean reports per transaction');
  } finally {
    await bus.close();
    if (ds.isInitialized) await ds.destroy();
    await db.drop();
  }
}

main().then(
  () => process.exit(0),
  (err) => {
    console.error(err);
    process.exit(1);
  },
);
