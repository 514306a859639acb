import { RunningCluster, ServiceProcess, startCluster } from './full/cluster';
import { OwnNats, startOwnNats } from '../faults/support/own-nats';
import { OwnPostgres, startOwnPostgres } from '../faults/support/own-postgres';

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * Waits until the process has said `msg` at least `count` times (it retries with backoff, so a second
 * line proves it kept waiting instead of exiting); a loaded machine only makes this take longer.
 */
async function waitForLines(proc: ServiceProcess, msg: string, count: number, timeoutMs = 30_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (jsonLines(proc).filter((l) => l.msg === msg).length < count) {
    if (!proc.running) throw new Error(`the process exited while waiting for "${msg}"`);
    if (Date.now() > deadline) throw new Error(`"${msg}" was logged fewer than ${count} times in ${timeoutMs} ms`);
    await pause(100);
  }
}

/** Every line a process wrote, parsed; a line that is not JSON fails the test with its text. */
function jsonLines(proc: ServiceProcess): Array<{ msg?: string; level?: number }> {
  return proc.logs
    .join('')
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => {
      try {
        return JSON.parse(line);
      } catch {
        throw new Error(`not a JSON log line: ${line}`);
      }
    });
}

/**
 * A service started before its broker or its database (both restarting, a pod scheduled first) waits for
 * it, saying so in JSON lines with backoff, and becomes ready once it is there: it does not exit.
 */
describe('start-up while a dependency is down', () => {
  let cluster: RunningCluster | undefined;
  let nats: OwnNats | undefined;
  let pg: OwnPostgres | undefined;

  afterEach(async () => {
    await cluster?.stop();
    await nats?.stop();
    await pg?.stop();
    cluster = nats = pg = undefined;
  });

  it('waits for NATS, then starts', async () => {
    nats = await startOwnNats();
    await nats.kill();
    cluster = await startCluster({}, { services: [], nats: { url: nats.url, prefix: 'startup_test' } });
    const proc = await cluster.startService('packager', undefined, { LOG_LEVEL: 'info' }, { waitReady: false });
    await waitForLines(proc, 'broker not reachable; waiting', 2);
    expect(proc.running).toBe(true);
    await nats.start();
    await proc.ready(30_000);
    expect(jsonLines(proc).map((l) => l.msg)).toContain('broker reachable');
  }, 90_000);

  it('waits for Postgres, then starts, and logs JSON from its first line', async () => {
    pg = await startOwnPostgres();
    await pg.stopServer();
    cluster = await startCluster({}, { services: [], databaseUrl: pg.url });
    const proc = await cluster.startService('packager', undefined, { LOG_LEVEL: 'info' }, { waitReady: false });
    await waitForLines(proc, 'database not reachable; waiting', 2);
    expect(proc.running).toBe(true);
    await pg.startServer();
    await proc.ready(30_000);
    expect(jsonLines(proc).map((l) => l.msg)).toContain('database reachable');
  }, 90_000);
});
