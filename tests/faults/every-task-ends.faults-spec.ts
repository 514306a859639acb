import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { FakeModelServer, startFakeModelServer } from '../support/fake-model-server';
import { RunningCluster, ServiceName, startCluster } from '../e2e/full/cluster';
import { FaultWindow, PhaseContext, PhaseFigures, PhasePlan, modelCallsInFlight, runPhase } from './support/fault-phase';
import { OwnNats, startOwnNats } from './support/own-nats';
import { OwnPostgres, startOwnPostgres } from './support/own-postgres';

const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));
const WORKERS: ServiceName[] = ['spec-parser', 'ai-enhancer', 'packager'];

/**
 * Faults in full mode (five service processes over a NATS and a Postgres of the suite's own): kill -9 of
 * each service, the broker down 8 s, the database down 8 s and 60 s, two replicas of everything with one
 * of each killed. In every phase every task completes, no log or client stream has a gap or a repeat,
 * the model is called once per endpoint plus at most once more per call in flight at the fault, and the
 * tenant is charged exactly the tokens its tasks used. The figures are printed at the end.
 */
describe('faults: every task ends well', () => {
  let nats: OwnNats;
  let pg: OwnPostgres;
  let model: FakeModelServer;
  let cluster: RunningCluster;
  let ctx: PhaseContext;
  const figures: PhaseFigures[] = [];

  beforeAll(async () => {
    [nats, pg, model] = await Promise.all([startOwnNats(), startOwnPostgres(), startFakeModelServer({ tokensPerSecond: 250 })]);
    cluster = await startCluster(
      { OLLAMA_URL: model.url, OLLAMA_MODEL: 'llama3.2', DB_POOL_SIZE: '6', LOG_LEVEL: 'info' },
      { databaseUrl: pg.url, nats: { url: nats.url, prefix: 'faults_test' } },
    );
    ctx = {
      cluster,
      model,
      databaseUrl: pg.url,
      urls: (name) => cluster.processes[name].filter((p) => p.running).map((p) => p.url),
    };
  }, 180_000);

  afterAll(async () => {
    if (figures.length) {
      process.stdout.write(`\nfault phases:\n${figures.map((f) => JSON.stringify(f)).join('\n')}\n`);
      mkdirSync(join(__dirname, '..', '..', 'tmp'), { recursive: true });
      writeFileSync(join(__dirname, '..', '..', 'tmp', 'faults-figures.json'), JSON.stringify(figures, null, 2));
    }
    await cluster?.stop();
    await Promise.all([nats?.stop(), pg?.stop(), model?.close()]);
  }, 120_000);

  const expectPhase = async (plan: PhasePlan) => {
    const outcome = await runPhase(ctx, plan);
    figures.push(outcome.figures);
    if (outcome.problems.length) {
      // What the services said, for whoever reads a failed run (tmp/ is git-ignored).
      const dir = join(__dirname, '..', '..', 'tmp', 'faults-logs');
      mkdirSync(dir, { recursive: true });
      for (const [name, procs] of Object.entries(cluster.processes)) {
        procs.forEach((p, i) => writeFileSync(join(dir, `${plan.phase.replace(/\W+/g, '-')}.${name}.${i}.log`), p.logs.join('')));
      }
    }
    expect({ phase: plan.phase, problems: outcome.problems }).toEqual({ phase: plan.phase, problems: [] });
    expect(outcome.figures.completed).toBe(outcome.figures.tasks);
  };

  /** kill -9, then the same service again on the same port a second later. */
  const killAndRestart =
    (name: ServiceName) =>
    async (c: PhaseContext): Promise<FaultWindow> => {
      const victim = c.cluster.processes[name].find((p) => p.running)!;
      const startedAt = Date.now();
      await victim.stop('SIGKILL');
      await pause(1000);
      await c.cluster.startService(name, victim.port);
      return { startedAt, endedAt: Date.now() };
    };

  const down = (what: { kill?: () => Promise<void>; stopServer?: () => Promise<void>; start?: () => Promise<void>; startServer?: () => Promise<void> }, ms: number) => async (): Promise<FaultWindow> => {
    const startedAt = Date.now();
    await (what.kill ?? what.stopServer)!();
    await pause(ms);
    await (what.start ?? what.startServer)!();
    return { startedAt, endedAt: Date.now() };
  };

  it('kill -9 of the spec-parser while tasks are parsing', () => expectPhase({ phase: 'kill -9 spec-parser', when: async () => undefined, fault: killAndRestart('spec-parser') }));

  it('kill -9 of the ai-enhancer mid-enhancement, with endpoints done and calls in flight', () =>
    expectPhase({
      phase: 'kill -9 ai-enhancer',
      when: async (c) => {
        const first = c.model.requests.length;
        const mine = () => c.model.requests.slice(first);
        while (mine().filter((r) => r.endedAt !== null).length < 20 || mine().filter((r) => r.endedAt === null).length < 3) await pause(20);
      },
      fault: killAndRestart('ai-enhancer'),
    }));

  it('kill -9 of the packager while tasks are packaged', () =>
    expectPhase({
      phase: 'kill -9 packager',
      when: async (c) => {
        const first = c.model.requests.length;
        while (c.model.requests.slice(first).filter((r) => r.endedAt !== null).length < 20) await pause(20);
      },
      fault: killAndRestart('packager'),
    }));

  it('kill -9 of the intake while tasks run and are watched over SSE', () => expectPhase({ phase: 'kill -9 intake', fault: killAndRestart('intake') }));

  it('kill -9 of the gateway while sockets watch', () => expectPhase({ phase: 'kill -9 gateway', fault: killAndRestart('gateway') }));

  it('NATS down for 8 s mid-enhancement', () => expectPhase({ phase: 'NATS down 8 s', fault: down(nats, 8_000) }));

  it('Postgres down for 8 s mid-enhancement', () => expectPhase({ phase: 'Postgres down 8 s', fault: down(pg, 8_000) }));

  it('Postgres down for 60 s mid-enhancement', () => expectPhase({ phase: 'Postgres down 60 s', fault: down(pg, 60_000), timeoutMs: 300_000 }));

  it('two replicas of every service, one of each killed mid-run', async () => {
    for (const name of [...WORKERS, 'intake', 'gateway'] as ServiceName[]) await cluster.startService(name);
    await expectPhase({
      phase: 'two replicas, one of each killed',
      when: (c) => modelCallsInFlight(c, 4),
      fault: async (c) => {
        const startedAt = Date.now();
        await Promise.all(
          ([...WORKERS, 'intake', 'gateway'] as ServiceName[]).map((name) => c.cluster.processes[name].find((p) => p.running)!.stop('SIGKILL')),
        );
        return { startedAt, endedAt: Date.now() };
      },
    });
  });
});
