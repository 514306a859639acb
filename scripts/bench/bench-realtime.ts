import { signTestToken } from '@spectest/auth';
import { EVENT_TYPES, TaskEvent, TaskResult } from '@spectest/contracts';
import { NatsMessaging } from '@spectest/messaging';
import { createDataSource } from '@spectest/persistence';
import { EventPublisher, MessagingEventPublisher, ProgressWriter, ReportItem } from '@spectest/progress';
import { createTestDatabase, deleteNatsTestStreams, freePort, testNatsConfig } from '@spectest/testing';
import { ChildProcess, fork, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { Server } from 'socket.io';
import { Socket, io } from 'socket.io-client';
import { benchTask } from '../../tests/support/task-input';

/**
 * `npm run bench:realtime`: one gateway process on loopback, SOCKETS sockets watching TASKS tasks that
 * emit RATE events/s in total for LOAD_MS (written by another process through the real ProgressWriter:
 * Postgres commit, then NATS). Prints latency commit -> client (p50/p99/max), delivered/expected,
 * the events/s actually committed, gateway CPU and RSS, memory per idle socket, the time of a resume
 * that replays 10,000 events, and the same load through a plain Socket.IO room broadcast of the NATS
 * events (no log, no replay, no seam), so the cost of the guarantees shows.
 *
 * Three processes of ours share the machine's cores with Postgres and NATS: the server measured, the
 * writer (load generator, open loop: RATE/100 reports every 10 ms whatever the writer's answers) and
 * this one (the client sockets). The CPU each used during the load is printed, so a starved server
 * shows. Memory per idle socket is read inside the server after a full GC (a probe preloaded with
 * --expose-gc answers over IPC), before and after SOCKETS connect: the heap growth is what the sockets
 * keep, the RSS growth adds native memory. BENCH_ROUNDS (default 2) rounds alternate the two servers,
 * each row tagged with the load average at its start. Figures are for this machine, not a capacity
 * claim. Asserts nothing.
 */
// Compiled to tmp/bench-realtime/scripts/bench/ (see the bench:realtime script).
const repoRoot = resolve(__dirname, '..', '..', '..', '..');
const SOCKETS = Number(process.env.BENCH_SOCKETS ?? 1000);
const TASKS = Number(process.env.BENCH_TASKS ?? 200);
const RATE = Number(process.env.BENCH_RATE ?? 2000);
const LOAD_MS = Number(process.env.BENCH_LOAD_MS ?? 10_000);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 2);
const REPLAY_EVENTS = 10_000;
const RESULT: TaskResult = { caseCount: 1, foundationCaseCount: 1, aiCaseCount: 0, artifact: { url: 'u', bytes: 1, sha256: 's' } };
const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
const now = () => performance.timeOrigin + performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

type WriterCommand =
  | { cmd: 'create'; n: number }
  | { cmd: 'load'; taskIds: string[]; rate: number; durationMs: number }
  | { cmd: 'replay-task'; events: number };
type WriterReply =
  | { ok: 'created'; taskIds: string[] }
  | { ok: 'loaded'; commits: [string, number, number][]; written: number; failed: number; wallMs: number }
  | { ok: 'replay-task'; taskId: string };

// ---------------------------------------------------------------- writer process

async function writerMain(): Promise<void> {
  // The writer is the load generator, not what is measured: by default its commits do not wait for the
  // WAL flush (BENCH_SYNC_COMMIT=on to change), or this disk's fsync caps the load far below RATE.
  const url = new URL(process.env.DATABASE_URL!);
  url.searchParams.set('options', `-c synchronous_commit=${process.env.BENCH_SYNC_COMMIT ?? 'off'}`);
  const ds = createDataSource({ url: url.toString(), poolSize: 24 });
  await ds.initialize();
  const bus = await NatsMessaging.connect({ url: process.env.NATS_URL!, prefix: process.env.NATS_PREFIX!, logger: quiet });
  let commits: [string, number, number][] = [];
  const inner = new MessagingEventPublisher(bus);
  // publishEvent runs right after the commit: that instant is "committed" for the latency figure.
  const publisher: EventPublisher = {
    publishEvent: (e: TaskEvent) => {
      commits.push([e.taskId, e.seq, now()]);
      return inner.publishEvent(e);
    },
  };
  const writer = new ProgressWriter(ds, publisher);
  const createTask = async () => {
    const { taskId } = (await writer.createTask(benchTask('bench'))).snapshot;
    return taskId;
  };
  const reply = (r: WriterReply) => process.send!(r);

  process.on('message', async (m: WriterCommand) => {
    if (m.cmd === 'create') {
      const ids: string[] = [];
      for (let i = 0; i < m.n; i += 20) ids.push(...(await Promise.all(Array.from({ length: Math.min(20, m.n - i) }, createTask))));
      reply({ ok: 'created', taskIds: ids });
    } else if (m.cmd === 'load') {
      commits = [];
      // Open loop: every 10 ms, rate/100 reports round robin over the tasks, in one reportMany, whatever
      // the writer's pace (it batches what waits; reports of one task keep their order).
      let next = 0;
      let written = 0;
      let failed = 0;
      const inFlight = new Set<Promise<void>>();
      const perTick = m.rate / 100;
      let carry = 0;
      const start = now();
      let tick = 0;
      while (now() - start < m.durationMs) {
        carry += perTick;
        const items: ReportItem[] = [];
        for (; carry >= 1; carry--) {
          const taskId = m.taskIds[next++ % m.taskIds.length];
          items.push({ taskId, update: { stage: 'enhancing', stageProgress: Math.random(), messageKey: 'enhancing.calling', messageParams: { method: 'GET', path: `/pets/${next}` } } });
        }
        const p = writer.reportMany(items).then(
          (rs) => rs.forEach((r) => (r.ok ? written++ : failed++)),
          () => {
            failed += items.length;
          },
        );
        inFlight.add(p);
        void p.finally(() => inFlight.delete(p));
        // Ticks on the wall clock, not 10 ms after the last one: a slow turn does not lower the rate.
        tick++;
        await sleep(Math.max(0, start + tick * 10 - now()));
      }
      await Promise.all(inFlight);
      const wallMs = now() - start;
      await writer.reportMany(m.taskIds.map((taskId): ReportItem => ({ taskId, update: { type: 'completed', messageKey: 'task.completed', messageParams: { caseCount: 1 }, result: RESULT } })));
      reply({ ok: 'loaded', commits, written, failed, wallMs });
    } else if (m.cmd === 'replay-task') {
      // One real event through the writer, then the log grown to `events` in one statement (writing
      // 10,000 events one transaction each would take the bench most of its time).
      const taskId = await createTask();
      const first = await writer.report(taskId, { stage: 'enhancing', stageProgress: 0.5, messageKey: 'enhancing.calling', messageParams: { method: 'GET', path: '/pets' } });
      if (!first.ok) throw new Error(first.detail);
      const from = first.event.seq + 1;
      await ds.query(
        `INSERT INTO task_events (task_id, seq, type, payload, created_at)
         SELECT task_id, g, type, jsonb_set(payload, '{seq}', to_jsonb(g)), now() FROM task_events, generate_series($2::int, $3::int) g
         WHERE task_id = $1 AND seq = $4`,
        [taskId, from, m.events, first.event.seq],
      );
      await ds.query(`UPDATE tasks SET seq = $2 WHERE id = $1`, [taskId, m.events]);
      reply({ ok: 'replay-task', taskId });
    }
  });
  process.send!({ ok: 'ready' });
}

// ---------------------------------------------------------------- plain Socket.IO broadcast process

async function plainMain(): Promise<void> {
  const http = createServer();
  const server = new Server(http, { transports: ['websocket'] });
  const nsp = server.of('/tasks');
  nsp.on('connection', (s) =>
    s.on('join', (taskId: string, ack?: (r: { ok: boolean }) => void) => {
      void s.join(taskId);
      ack?.({ ok: true });
    }),
  );
  const bus = await NatsMessaging.connect({ url: process.env.NATS_URL!, prefix: process.env.NATS_PREFIX!, logger: quiet });
  await bus.subscribe('task.*.events', (payload) => {
    const e = payload as TaskEvent;
    nsp.to(e.taskId).emit(e.type, e);
  });
  await new Promise<void>((r) => http.listen(Number(process.env.PORT), '127.0.0.1', r));
  process.send!({ ok: 'ready' });
}

// ---------------------------------------------------------------- measuring process

interface Receipt {
  socket: number;
  taskId: string;
  seq: number;
  at: number;
}

const CLK_TCK = 100;
function cpuSeconds(pid: number): number {
  const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}
function rssBytes(pid: number): number {
  const line = readFileSync(`/proc/${pid}/status`, 'utf8').split('\n').find((l) => l.startsWith('VmRSS:'))!;
  return Number(line.split(/\s+/)[1]) * 1024;
}
const pct = (sorted: number[], p: number) => (sorted.length === 0 ? NaN : sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]);
const mib = (b: number) => `${(b / 1048576).toFixed(1)} MiB`;

function ask(writer: ChildProcess, cmd: WriterCommand): Promise<WriterReply> {
  return new Promise((resolveReply) => {
    writer.once('message', (m: WriterReply) => resolveReply(m));
    writer.send(cmd);
  });
}

/**
 * Preloaded (-r, with --expose-gc) into a server under test: answers `{ cmd: 'memory' }` over IPC with its
 * memory after a full GC, so what connected sockets keep is measured without the garbage of their handshakes.
 */
const MEMORY_PROBE = `process.on('message', (m) => {
  if (!m || m.cmd !== 'memory') return;
  global.gc(); global.gc();
  process.send({ memory: process.memoryUsage() });
});
`;
const probePath = join(repoRoot, 'tmp', 'bench', 'memory-probe.js');
const probeArgs = ['--expose-gc', '-r', probePath];

function memoryAfterGc(server: ChildProcess): Promise<NodeJS.MemoryUsage> {
  return new Promise((resolveMemory) => {
    const onMessage = (m: { memory?: NodeJS.MemoryUsage }) => {
      if (!m?.memory) return;
      server.off('message', onMessage);
      resolveMemory(m.memory);
    };
    server.on('message', onMessage);
    server.send({ cmd: 'memory' });
  });
}

async function waitReady(url: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    try {
      if ((await fetch(`${url}/health/ready`)).status === 200) return;
    } catch {
      /* not yet */
    }
    await sleep(200);
  }
  throw new Error(`${url} not ready`);
}

async function connectAll(url: string, auth: Record<string, string>, n: number): Promise<Socket[]> {
  const sockets: Socket[] = [];
  for (let i = 0; i < n; i += 50) {
    const batch = Array.from({ length: Math.min(50, n - i) }, () => {
      const s = io(`${url}/tasks`, { auth, transports: ['websocket'], reconnection: false, forceNew: true });
      return new Promise<Socket>((ok, fail) => {
        s.once('connect', () => ok(s));
        s.once('connect_error', fail);
      });
    });
    sockets.push(...(await Promise.all(batch)));
  }
  return sockets;
}

interface RunFigures {
  name: string;
  idleHeapPerSocket: number;
  idleRssPerSocket: number;
  delivered: number;
  duplicates: number;
  failedWrites: number;
  expected: number;
  written: number;
  writeRate: number;
  p50: number;
  p99: number;
  max: number;
  cpuPct: number;
  clientsCpuPct: number;
  writerCpuPct: number;
  rssMax: number;
}

/** The load phase against one server process: subscribe every socket, run the writer, collect receipts. */
async function runLoad(
  name: string,
  server: ChildProcess,
  url: string,
  auth: Record<string, string>,
  writer: ChildProcess,
  join: (s: Socket, taskId: string) => Promise<void>,
): Promise<RunFigures> {
  const pid = server.pid!;
  // A few sockets in and out first, so lazily loaded code and first-use caches are not counted per socket.
  for (const s of await connectAll(url, auth, 20)) s.disconnect();
  await sleep(1_000);
  const before = await memoryAfterGc(server);
  const sockets = await connectAll(url, auth, SOCKETS);
  await sleep(2_000);
  const after = await memoryAfterGc(server);
  const idleHeapPerSocket = (after.heapUsed + after.external - before.heapUsed - before.external) / SOCKETS;
  const idleRssPerSocket = (after.rss - before.rss) / SOCKETS;

  const created = (await ask(writer, { cmd: 'create', n: TASKS })) as Extract<WriterReply, { ok: 'created' }>;
  const receipts: Receipt[] = [];
  const watchers = new Map<string, number>();
  // Subscribed 100 at a time: a storm of 1,000 subscribes at once is a reconnect storm, not this figure.
  for (let b = 0; b < sockets.length; b += 100) {
    await Promise.all(
      sockets.slice(b, b + 100).map(async (s, j) => {
        const i = b + j;
        const taskId = created.taskIds[i % TASKS];
        watchers.set(taskId, (watchers.get(taskId) ?? 0) + 1);
        for (const ev of EVENT_TYPES) s.on(ev, (e: TaskEvent) => receipts.push({ socket: i, taskId: e.taskId, seq: e.seq, at: now() }));
        await join(s, taskId);
      }),
    );
  }
  // Our gateway replays each task's first event (seq 1, written at creation) to every socket; the plain
  // broadcast has no replay. Let that settle so it is not counted as load.
  const settle = now() + 30_000;
  while (name.startsWith('gateway') && receipts.length < SOCKETS && now() < settle) await sleep(50);
  await sleep(500);
  receipts.length = 0;

  const cpu0 = cpuSeconds(pid);
  const writerCpu0 = cpuSeconds(writer.pid!);
  const clientsCpu0 = process.cpuUsage();
  const t0 = now();
  let rssMax = rssBytes(pid);
  const sampler = setInterval(() => (rssMax = Math.max(rssMax, rssBytes(pid))), 250);
  const loaded = (await ask(writer, { cmd: 'load', taskIds: created.taskIds, rate: RATE, durationMs: LOAD_MS })) as Extract<WriterReply, { ok: 'loaded' }>;
  const commitAt = new Map<string, number>();
  for (const [taskId, seq, at] of loaded.commits) commitAt.set(`${taskId}:${seq}`, at);
  let expected = 0;
  for (const [taskId] of loaded.commits) expected += watchers.get(taskId) ?? 0;
  const deadline = now() + 15_000;
  while (receipts.length < expected && now() < deadline) await sleep(50);
  await sleep(200);
  const wall = (now() - t0) / 1000;
  const cpuPct = ((cpuSeconds(pid) - cpu0) / wall) * 100;
  const writerCpuPct = ((cpuSeconds(writer.pid!) - writerCpu0) / wall) * 100;
  const clientsCpu = process.cpuUsage(clientsCpu0);
  const clientsCpuPct = ((clientsCpu.user + clientsCpu.system) / 1e6 / wall) * 100;
  clearInterval(sampler);
  rssMax = Math.max(rssMax, rssBytes(pid));

  const latencies: number[] = [];
  const seen = new Set<string>();
  let duplicates = 0;
  for (const r of receipts) {
    const c = commitAt.get(`${r.taskId}:${r.seq}`);
    if (c === undefined) continue;
    const key = `${r.socket}:${r.taskId}:${r.seq}`;
    if (seen.has(key)) {
      duplicates++;
      continue;
    }
    seen.add(key);
    latencies.push(r.at - c);
  }
  latencies.sort((a, b) => a - b);
  for (const s of sockets) s.disconnect();
  return {
    name,
    idleHeapPerSocket,
    idleRssPerSocket,
    delivered: seen.size,
    duplicates,
    expected,
    written: loaded.commits.length,
    writeRate: loaded.written / (loaded.wallMs / 1000),
    failedWrites: loaded.failed,
    p50: pct(latencies, 50),
    p99: pct(latencies, 99),
    max: latencies.at(-1) ?? NaN,
    cpuPct,
    clientsCpuPct,
    writerCpuPct,
    rssMax,
  };
}

async function timeResume(url: string, auth: Record<string, string>, writer: ChildProcess): Promise<number> {
  const { taskId } = (await ask(writer, { cmd: 'replay-task', events: REPLAY_EVENTS })) as Extract<WriterReply, { ok: 'replay-task' }>;
  const [s] = await connectAll(url, auth, 1);
  let got = 0;
  let lastSeq = 0;
  let inOrder = true;
  const t0 = now();
  const done = new Promise<void>((ok) =>
    s.on('progress', (e: TaskEvent) => {
      if (e.seq !== lastSeq + 1) inOrder = false;
      lastSeq = e.seq;
      if (++got === REPLAY_EVENTS) ok();
    }),
  );
  const ack = await s.timeout(10_000).emitWithAck('subscribe', { taskId, afterSeq: 0 });
  if (!ack.ok) throw new Error(`resume refused: ${JSON.stringify(ack)}`);
  await Promise.race([done, sleep(30_000)]);
  const ms = now() - t0;
  s.disconnect();
  if (got !== REPLAY_EVENTS || !inOrder) throw new Error(`resume got ${got} events, in order: ${inOrder}`);
  return ms;
}

function spawnSelf(mode: 'writer' | 'plain', env: Record<string, string>): Promise<ChildProcess> {
  const execArgv = mode === 'plain' ? probeArgs : [];
  const child = fork(__filename, [mode], { env: { ...process.env, ...env }, execArgv, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  return new Promise((ok, fail) => {
    child.once('message', () => ok(child));
    child.once('exit', (code) => fail(new Error(`${mode} exited with ${code}`)));
  });
}

async function stopChild(child: ChildProcess | undefined): Promise<void> {
  if (!child || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  const t = setTimeout(() => child.kill('SIGKILL'), 15_000);
  await exited;
  clearTimeout(t);
}

async function main(): Promise<void> {
  const db = await createTestDatabase();
  const nats = testNatsConfig();
  const secret = `bench-${randomUUID()}`;
  const base = { DATABASE_URL: db.url, NATS_URL: nats.url, NATS_PREFIX: nats.prefix };
  let gateway: ChildProcess | undefined;
  let writer: ChildProcess | undefined;
  let plain: ChildProcess | undefined;
  mkdirSync(join(repoRoot, 'tmp', 'bench'), { recursive: true });
  writeFileSync(probePath, MEMORY_PROBE);
  try {
    const gwPort = await freePort();
    const gwUrl = `http://127.0.0.1:${gwPort}`;
    gateway = spawn(process.execPath, [...probeArgs, join(repoRoot, 'services', 'gateway', 'dist', 'main.js')], {
      env: {
        PATH: process.env.PATH,
        ...base,
        PORT: String(gwPort),
        HOST: '127.0.0.1',
        AUTH_MODE: 'jwt',
        AUTH_JWT_SECRET: secret,
        LOG_LEVEL: 'warn',
        DB_POOL_SIZE: '20',
        MAX_CONNECTIONS_PER_TOKEN: String(SOCKETS + 10),
      },
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    });
    await waitReady(gwUrl, 60_000);
    writer = await spawnSelf('writer', base);
    const token = await signTestToken(secret, { sub: 'bench', tenant: 'bench' }, '2h');
    const auth = { token };
    console.log(`bench:realtime — ${SOCKETS} sockets, ${TASKS} tasks, ${RATE} events/s for ${LOAD_MS / 1000} s, ${ROUNDS} round(s), loopback, writer synchronous_commit=${process.env.BENCH_SYNC_COMMIT ?? 'off'}`);

    const plainPort = await freePort();
    plain = await spawnSelf('plain', { ...base, PORT: String(plainPort) });
    // Rounds alternate the two servers (both running, the other one idle), so a busy spell of the machine
    // shows as a noisy round instead of favouring one server.
    const rows: RunFigures[] = [];
    for (let round = 1; round <= ROUNDS; round++) {
      const load = readFileSync('/proc/loadavg', 'utf8').split(' ')[0];
      const tag = ROUNDS > 1 ? ` r${round} (load ${load})` : '';
      rows.push(
        await runLoad(`gateway${tag}`, gateway, gwUrl, auth, writer, async (s, taskId) => {
          const ack = await s.timeout(30_000).emitWithAck('subscribe', { taskId });
          if (!ack.ok) throw new Error(`subscribe refused: ${JSON.stringify(ack)}`);
        }),
      );
      rows.push(
        await runLoad(`plain Socket.IO${tag}`, plain, `http://127.0.0.1:${plainPort}`, {}, writer, async (s, taskId) => {
          await s.timeout(30_000).emitWithAck('join', taskId);
        }),
      );
    }
    const resumes: number[] = [];
    for (let i = 0; i < 3; i++) resumes.push(await timeResume(gwUrl, auth, writer));

    const kb = (b: number) => `${(b / 1024).toFixed(1)} KB`;
    const cols: [string, number, (f: RunFigures) => string][] = [
      ['server', -36, (f) => f.name],
      ['p50 ms', 7, (f) => f.p50.toFixed(1)],
      ['p99 ms', 7, (f) => f.p99.toFixed(1)],
      ['max ms', 8, (f) => f.max.toFixed(1)],
      ['delivered/expected', 24, (f) => `${f.delivered}/${f.expected} (${((f.delivered / f.expected) * 100).toFixed(2)}%)`],
      ['dups', 5, (f) => `${f.duplicates}`],
      ['written', 9, (f) => `${f.writeRate.toFixed(0)}/s${f.failedWrites ? ` (${f.failedWrites} failed)` : ''}`],
      ['CPU', 6, (f) => `${f.cpuPct.toFixed(0)}%`],
      ['RSS max', 10, (f) => mib(f.rssMax)],
      ['idle heap', 10, (f) => kb(f.idleHeapPerSocket)],
      ['idle RSS', 10, (f) => kb(f.idleRssPerSocket)],
      ['clients/writer CPU', 19, (f) => `${f.clientsCpuPct.toFixed(0)}% / ${f.writerCpuPct.toFixed(0)}%`],
    ];
    const line = (cells: string[]) => cells.map((c, i) => (cols[i][1] < 0 ? c.padEnd(-cols[i][1]) : c.padStart(cols[i][1]))).join(' ');
    console.log('');
    console.log(line(cols.map((c) => c[0])));
    for (const f of rows) console.log(line(cols.map((c) => c[2](f))));
    console.log('');
    console.log(`asked ${RATE} events/s; written = events the writer committed per second over the load phase`);
    console.log(`load average during the run: ${readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' ')} (2 cores shared with Postgres, NATS and anything else running)`);
    console.log(`resume replaying ${REPLAY_EVENTS} events (subscribe -> last event received): ${resumes.map((ms) => `${ms.toFixed(0)} ms`).join(', ')}`);
    console.log(
      'latency = event committed in Postgres (writer process, right before its NATS publish) -> received by a client socket; CPU = server process user+sys over the load phase wall time; ' +
        'idle heap / idle RSS = growth of the server\'s heap (+ external) / RSS per connected idle socket, each read after a full GC (RSS only in round 1: later rounds reuse the pages of the earlier sockets); clients/writer CPU = this process (the sockets) and the writer over the same time',
    );
  } finally {
    await stopChild(plain);
    await stopChild(writer);
    await stopChild(gateway);
    await deleteNatsTestStreams(nats.url, nats.prefix).catch(() => undefined);
    await db.drop();
  }
}

const mode = process.argv[2];
if (mode === 'writer' || mode === 'plain') {
  (mode === 'writer' ? writerMain() : plainMain()).catch((err) => {
    console.error(err);
    process.exit(1);
  });
} else {
  // Children are stopped in main's finally; exit then, whatever handles a client library keeps.
  main().then(
    () => process.exit(0),
    (err) => {
      console.error(err);
      process.exit(1);
    },
  );
}
