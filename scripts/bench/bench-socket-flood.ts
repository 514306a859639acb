import { SOCKET_NAMESPACE, SubscribeAck } from '@spectest/contracts';
import { createTestDatabase, freePort } from '@spectest/testing';
import { fork, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { performance } from 'node:perf_hooks';
import { io } from 'socket.io-client';

/**
 * `npm run bench:socket-flood`: what a `subscribe` flood on one socket does to everyone else. The
 * embedded app (gateway and intake in one process, dev mode, the machine's Postgres) serves one
 * finished petstore task; one socket, in a process of its own, emits FLOOD subscribes to it without
 * waiting for the acks, while this process, another client, sends `GET /v1/tasks/{id}` every 100 ms.
 * Prints the REST latency before and during the flood, how long the flood took to be answered and how
 * its acks split (ok / limit_exceeded / other / never answered). Asserts nothing.
 */
// Compiled to tmp/bench-socket-flood/scripts/bench/ (see the bench:socket-flood script).
const repoRoot = resolve(__dirname, '..', '..', '..', '..');
const FLOOD = Number(process.env.BENCH_FLOOD ?? 20_000);
const ACK_WAIT_MS = 60_000;
const now = () => performance.now();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const pct = (xs: number[], p: number) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length ? s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))] : NaN;
};

async function main(): Promise<void> {
  const db = await createTestDatabase();
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const app = spawn(process.execPath, [join(repoRoot, 'apps', 'embedded', 'dist', 'main.js')], {
    cwd: repoRoot,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin', HOME: process.env.HOME ?? '/tmp', PORT: String(port), DATABASE_URL: db.url, AUTH_MODE: 'dev', LOG_LEVEL: 'error' },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  try {
    for (let i = 0; ; i++) {
      if (i > 300) throw new Error('the embedded app did not get ready');
      const ok = await fetch(`${url}/health/ready`).then((r) => r.status === 200, () => false);
      if (ok) break;
      await sleep(200);
    }
    const spec = readFileSync(join(repoRoot, 'tests', 'fixtures', 'petstore.yaml'), 'utf8');
    const submitted = await fetch(`${url}/v1/tasks`, { method: 'POST', headers: { 'content-type': 'application/json', prefer: 'wait=30' }, body: JSON.stringify({ spec }) });
    const { taskId, status, seq } = (await submitted.json()) as { taskId: string; status: string; seq: number };
    if (status !== 'completed') throw new Error(`the task did not complete: ${status}`);

    const rest = async (): Promise<number> => {
      const t0 = now();
      const res = await fetch(`${url}/v1/tasks/${taskId}`);
      await res.arrayBuffer();
      if (res.status !== 200) throw new Error(`GET answered ${res.status}`);
      return now() - t0;
    };
    const quiet: number[] = [];
    for (let i = 0; i < 30; i++) quiet.push(await rest());

    const flooder = fork(__filename, ['flood', url, taskId], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
    let resolveStarted: () => void = () => undefined;
    const started = new Promise<void>((r) => (resolveStarted = r));
    const report = new Promise<FloodReport>((resolveReport) =>
      flooder.on('message', (m: FloodReport | 'started') => (m === 'started' ? resolveStarted() : resolveReport(m))),
    );
    await started;
    const during: number[] = [];
    let flooding = true;
    void report.then(() => (flooding = false));
    while (flooding) {
      during.push(await rest());
      await sleep(100);
    }
    const { floodMs, counts, answered, disconnected } = await report;

    const f = (ms: number) => ms.toFixed(1).padStart(8);
    console.log(`bench:socket-flood — ${FLOOD} subscribes on one socket (task of ${seq} events), embedded app, dev mode`);
    console.log(`GET /v1/tasks/{id} quiet:        p50 ${f(pct(quiet, 50))} ms  max ${f(Math.max(...quiet))} ms  (${quiet.length} calls)`);
    console.log(`GET /v1/tasks/{id} during flood: p50 ${f(pct(during, 50))} ms  max ${f(Math.max(...during))} ms  (${during.length} calls)`);
    const when = floodMs !== null ? `answered in ${floodMs.toFixed(0)} ms` : disconnected ? 'cut off by the server (socket disconnected)' : `not all answered within ${ACK_WAIT_MS} ms`;
    console.log(`flood ${when}: ok ${counts.ok}, limit_exceeded ${counts.limit_exceeded}, other ${counts.other}, never answered ${FLOOD - answered}`);
  } finally {
    app.kill('SIGTERM');
    await new Promise((r) => app.once('exit', r));
    await db.drop();
  }
}

interface FloodReport {
  /** null: some acks never came. */
  floodMs: number | null;
  counts: { ok: number; limit_exceeded: number; other: number };
  answered: number;
  /** The server disconnected the flooding socket. */
  disconnected: boolean;
}

/** The flooding client: one socket, FLOOD subscribes without waiting, then the acks counted. */
async function flood(url: string, taskId: string): Promise<void> {
  const socket = io(`${url}${SOCKET_NAMESPACE}`, { transports: ['websocket'], reconnection: false, forceNew: true });
  await new Promise<void>((ok, fail) => {
    socket.once('connect', () => ok());
    socket.once('connect_error', fail);
  });
  const counts = { ok: 0, limit_exceeded: 0, other: 0 };
  let answered = 0;
  process.send!('started');
  const t0 = now();
  // An ack that never comes (a subscribe that failed without answering) must not hang the bench.
  let disconnected = false;
  const floodMs = await new Promise<number | null>((resolveAll) => {
    setTimeout(() => resolveAll(null), ACK_WAIT_MS);
    // The server may cut off a socket that floods: its acks then never come.
    socket.once('disconnect', () => {
      disconnected = true;
      resolveAll(null);
    });
    for (let i = 0; i < FLOOD; i++) {
      socket.emit('subscribe', { taskId }, (ack: SubscribeAck) => {
        if (ack.ok) counts.ok++;
        else if (ack.error.code === 'limit_exceeded') counts.limit_exceeded++;
        else counts.other++;
        if (++answered === FLOOD) resolveAll(now() - t0);
      });
    }
  });
  socket.disconnect();
  process.send!({ floodMs, counts, answered, disconnected } satisfies FloodReport, () => process.exit(0));
}

const [role, floodUrl, floodTask] = process.argv.slice(2);
(role === 'flood' ? flood(floodUrl, floodTask) : main()).catch((err) => {
  console.error(err);
  process.exit(1);
});
