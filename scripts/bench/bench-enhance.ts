import { ChildProcess, fork } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { Endpoint, TestCase } from '@spectest/contracts';
import { createDataSource, runMigrations } from '@spectest/persistence';
import { ProgressWriter, StageReporter } from '@spectest/progress';
import { createTestDatabase } from '@spectest/testing';
import { OllamaProvider, enhanceEndpoints } from '@spectest/enhancement';
import type { ModelHistory, StageUpdate } from '@spectest/enhancement';
import { startFakeModelServer } from '../../tests/support/fake-model-server';
import { benchTask } from '../../tests/support/task-input';

/**
 * `npm run bench:enhance`: the enhancing stage's own cost and the quality of its ETA, against the fake model server
 * (run in a child process, so its CPU is not ours) at a fixed token rate. The stage's `report` is a no-op here:
 * the figures are the pipeline's (HTTP stream, NDJSON, token meter, coalescing, parsing the answer), not the event
 * writer's (see bench:realtime for that). Prints figures; asserts nothing.
 *
 * - CPU µs per token: process CPU of a run with live token events off, over the tokens streamed.
 * - CPU µs per event: the extra CPU of a run with a live event per token, over the extra events.
 * - events/s with 50 enhancing tasks at once (AI_CONCURRENCY 2 each).
 * - ETA mean absolute error at 25/50/75% of the stage, for a task with no model history and one with it.
 */
const RATE = Number(process.env.BENCH_TOKENS_PER_SECOND ?? 400);

if (process.argv[2] === '--fake-server') {
  void startFakeModelServer({ tokensPerSecond: Number(process.argv[3]) }).then((s) => process.send?.({ url: s.url }));
  // Asked for its CPU time, so the parent can tell whether the fake or the pipeline set the pace.
  process.on('message', () => process.send?.({ cpu: process.cpuUsage() }));
} else {
  void main().catch((e: unknown) => {
    console.error(e);
    process.exit(1);
  });
}

/** `n` synthetic operations, half with a path parameter, half with a JSON body, so answers differ in length. */
function operations(n: number): { endpoints: Endpoint[]; ops: Record<string, object> } {
  const endpoints: Endpoint[] = [];
  const ops: Record<string, object> = {};
  for (let i = 0; i < n; i++) {
    const withId = i % 2 === 0;
    const method = withId ? 'get' : 'post';
    const path = withId ? `/items${i}/{id}` : `/items${i}`;
    const e: Endpoint = { key: `${method.toUpperCase()} ${path}`, method, path, operationId: `op${i}`, summary: `operation ${i}`, tags: ['items'], group: 'items' } as Endpoint;
    endpoints.push(e);
    ops[e.key] = withId
      ? { parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'string' } }], responses: { '200': { description: 'ok' }, '404': { description: 'missing' } } }
      : {
          requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', properties: { name: { type: 'string' } } } } } },
          responses: { '201': { description: 'created' }, '400': { description: 'bad' } },
        };
  }
  return { endpoints, ops };
}

/** CPU µs the fake's process has used so far. */
async function childCpuUs(child: ChildProcess): Promise<number> {
  const reply = new Promise<number>((resolve) =>
    child.once('message', (m: { cpu: NodeJS.CpuUsage }) => resolve(m.cpu.user + m.cpu.system)),
  );
  child.send('cpu');
  return reply;
}

async function startFake(rate: number): Promise<{ url: string; child: ChildProcess }> {
  const child = fork(__filename, ['--fake-server', String(rate)], { stdio: 'inherit' });
  const url = await new Promise<string>((resolve, reject) => {
    child.once('message', (m: { url: string }) => resolve(m.url));
    child.once('exit', (code) => reject(new Error(`fake model server exited with ${code}`)));
  });
  return { url, child };
}

interface RunFigures {
  events: number;
  tokens: number;
  cpuUs: number;
  wallMs: number;
  eta: { at25: number | null; at50: number | null; at75: number | null; meanAbsMs: number | null };
  history: ModelHistory;
}

async function runTask(
  url: string,
  endpointCount: number,
  opts: { liveEveryToken?: boolean; history?: ModelHistory | null; concurrency?: number; report?: (u: StageUpdate) => Promise<void> },
): Promise<RunFigures> {
  const { endpoints, ops } = operations(endpointCount);
  let events = 0;
  const report = async (u: StageUpdate) => {
    events++;
    await opts.report?.(u);
  };
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const out = await enhanceEndpoints({
    endpoints,
    operationOf: (e) => ops[e.key],
    foundationCases: [] as TestCase[],
    provider: new OllamaProvider({ baseUrl: url, model: 'bench' }),
    maxCasesPerEndpoint: 5,
    concurrency: opts.concurrency ?? 2,
    history: opts.history ?? null,
    signal: new AbortController().signal,
    report,
    tokenReportIntervalMs: opts.liveEveryToken ? 0 : 1e9,
  });
  const cpu = process.cpuUsage(cpu0);
  return {
    events,
    tokens: out.tokens.completion,
    cpuUs: cpu.user + cpu.system,
    wallMs: performance.now() - t0,
    eta: out.eta,
    history: { msPerCall: out.calls.meanMs, completionPerCall: out.calls.meanCompletion },
  };
}

/** The same 50 tasks, each event committed by the real ProgressWriter to a fresh Postgres database (fan-out is a no-op). */
async function writerRun(url: string, tasks: number): Promise<void> {
  const db = await createTestDatabase();
  const ds = createDataSource({ url: db.url, poolSize: 10 });
  try {
    await ds.initialize();
    await runMigrations(ds);
    const writer = new ProgressWriter(ds, { publishEvent: async () => undefined });
    const ids: string[] = [];
    for (let i = 0; i < tasks; i++) {
      const { taskId } = (await writer.createTask(benchTask(`bench ${i}`))).snapshot;
      await new StageReporter(writer, taskId, 'parsing').done({ messageKey: 'parsing.done', messageParams: { endpointCount: 6, title: 'bench', version: '1' } });
      await new StageReporter(writer, taskId, 'foundation').done({ messageKey: 'foundation.done', messageParams: { count: 6 } });
      ids.push(taskId);
    }
    const t0 = performance.now();
    const runs = await Promise.all(
      ids.map((taskId) => {
        const reporter = new StageReporter(writer, taskId, 'enhancing');
        return runTask(url, 6, { report: (u) => reporter.report(u) });
      }),
    );
    const wall = (performance.now() - t0) / 1000;
    const events = runs.reduce((n, r) => n + r.events, 0);
    const [{ n }] = (await ds.query(`SELECT count(*)::int AS n FROM task_events WHERE type = 'progress' AND payload->>'stage' = 'enhancing'`)) as { n: number }[];
    console.log(`  the same through the real ProgressWriter (one Postgres transaction per event): ${events} events (${n} stored) in ${fmt(wall, 2)} s = ${fmt(events / wall, 0)} events/s\n`);
  } finally {
    if (ds.isInitialized) await ds.destroy();
    await db.drop();
  }
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (n: number | null, digits = 1) => (n === null ? 'n/a' : n.toFixed(digits));

async function main(): Promise<void> {
  // The machine may be shared: its load says how much the figures below are ours.
  console.log(`bench:enhance: fake Ollama at ${RATE} tokens/s per stream (child process), Node ${process.version}, ${cpus().length} cores, load ${loadavg().map((l) => l.toFixed(1)).join(' ')}\n`);
  const fast = await startFake(20_000);
  const fixed = await startFake(RATE);
  try {
    // Warm up the JIT and the sockets' code paths.
    await runTask(fast.url, 4, {});

    // Alternating pairs, medians: the machine is shared, single runs are noisy.
    const perTokens: number[] = [];
    const perEvents: number[] = [];
    let sample: { quiet: RunFigures; chatty: RunFigures } | null = null;
    for (let i = 0; i < 5; i++) {
      const quiet = await runTask(fast.url, 24, { liveEveryToken: false });
      const chatty = await runTask(fast.url, 24, { liveEveryToken: true });
      perTokens.push(quiet.cpuUs / quiet.tokens);
      // Per token of each run, so a different answer length does not count as event cost.
      perEvents.push((chatty.cpuUs / chatty.tokens - quiet.cpuUs / quiet.tokens) * chatty.tokens / Math.max(1, chatty.events - quiet.events));
      sample = { quiet, chatty };
    }
    console.log('pipeline CPU (fake at 20,000 tokens/s, 24 endpoints, concurrency 2, report is a no-op; median of 5 pairs)');
    console.log(`  per token : ${fmt(median(perTokens), 2)} µs  (e.g. ${sample!.quiet.tokens} tokens, ${sample!.quiet.events} events, ${fmt(sample!.quiet.cpuUs / 1000)} ms CPU)`);
    console.log(`  per event : ${fmt(median(perEvents), 2)} µs  (a live event per token: e.g. ${sample!.chatty.events} events, ${fmt(sample!.chatty.cpuUs / 1000)} ms CPU)`);
    console.log(`  (all 5 per-event figures: ${perEvents.map((v) => fmt(v, 1)).join(', ')} µs)\n`);

    const tasks = 50;
    const t0 = performance.now();
    const cpu0 = process.cpuUsage();
    const fake0 = await childCpuUs(fixed.child);
    const runs = await Promise.all(Array.from({ length: tasks }, () => runTask(fixed.url, 6, {})));
    const wall = (performance.now() - t0) / 1000;
    const cpu = process.cpuUsage(cpu0);
    const fakeCpu = (await childCpuUs(fixed.child)) - fake0;
    const events = runs.reduce((n, r) => n + r.events, 0);
    const tokens = runs.reduce((n, r) => n + r.tokens, 0);
    console.log(`${tasks} concurrent enhancing tasks (6 endpoints each, concurrency 2, ${RATE} tokens/s per stream, live events at most 4/s per task)`);
    console.log(`  ${events} events in ${fmt(wall, 2)} s = ${fmt(events / wall, 0)} events/s; ${fmt(tokens / wall, 0)} tokens/s streamed in total`);
    console.log(`  CPU: the pipeline ${fmt((cpu.user + cpu.system) / 1e4 / wall, 0)}% of one core, the fake model server ${fmt(fakeCpu / 1e4 / wall, 0)}% (2 shared cores)`);

    await writerRun(fixed.url, tasks);

    const cold = await runTask(fixed.url, 12, {});
    const warm = await runTask(fixed.url, 12, { history: cold.history });
    console.log(`ETA error over a stage of 12 endpoints at ${RATE} tokens/s, concurrency 2 (stage took ${fmt(cold.wallMs / 1000, 2)} s)`);
    for (const [name, r] of [
      ['no history ', cold],
      ['with history', warm],
    ] as const) {
      console.log(`  ${name}: |error| at 25% ${fmt(r.eta.at25, 0)} ms, 50% ${fmt(r.eta.at50, 0)} ms, 75% ${fmt(r.eta.at75, 0)} ms; mean ${fmt(r.eta.meanAbsMs, 0)} ms`);
    }
  } finally {
    fast.child.kill();
    fixed.child.kill();
  }
}
