import { RunningCluster, ServiceProcess, startCluster } from './full/cluster';
import { OwnNats, startOwnNats } from '../faults/support/own-nats';
import { OwnPostgres, startOwnPostgres } from '../faults/support/own-postgres';

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

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
    await pause(3_000);
    expect(proc.running).toBe(true);
    const waiting = jsonLines(proc).filter((l) => l.msg === 'broker not reachable; waiting');
    expect(waiting.length).toBeGreaterThanOrEqual(2);
    await nats.start();
    await proc.ready(30_000);
    expect(jsonLines(proc).map((l) => l.msg)).toContain('broker reachable');
  }, 90_000);

  it('waits for Postgres, then starts, and logs JSON from its first line', async () => {
    pg = await startOwnPostgres();
    await pg.stopServer();
    cluster = await startCluster({}, { services: [], databaseUrl: pg.url });
    const proc = await cluster.startService('packager', undefined, { LOG_LEVEL: 'info' }, { waitReady: false });
    await pause(3_000);
    expect(proc.running).toBe(true);
    const lines = jsonLines(proc);
    expect(lines.filter((l) => l.msg === 'database not reachable; waiting').length).toBeGreaterThanOrEqual(2);
    await pg.startServer();
    await proc.ready(30_000);
    expect(jsonLines(proc).map((l) => l.msg)).toContain('database reachable');
  }, 90_000);
});
