import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { TestCase } from '@spectest/contracts';
import { extractZip } from '../../tests/support/generated-suite';
import { documentsStatus, failureKind } from './failure-kind';
import { generateSuite, stopGenerator } from './generate-suite';
import { RealServer, StartedServer } from './real-server';
import { CaseResult, RunnerSummary, ServerResult, printServerResult } from './realworld-report';
import { startRecordingProxy } from './recording-proxy';
import { RUNNERS, RunnerCase, RunnerName, runRunner } from './run-runners';
import { stopServersOnExit } from './server-process';
import { alertmanager } from './servers/alertmanager';
import { loopbackTodo } from './servers/loopback-todo';
import { powerdns } from './servers/powerdns';
import { unleash } from './servers/unleash';

/**
 * `npm run realworld [-- --only id[,id]]`: for each real server, installs what is missing, generates the
 * suite from the spec its authors publish (as the service would, default options), and runs both runners
 * of the ZIP against a fresh instance each (so one runner's leftovers cannot change the other's result).
 * Prints per server cases, passed, failed, requests answered 404 and every failure with its kind, and
 * writes tmp/realworld/results.json (and <id>.json) for comparing runs. Stops what it started, even on failure.
 */
// Compiled to tmp/realworld-build/scripts/realworld/.
const ROOT = resolve(__dirname, '..', '..', '..', '..');
const OUT = join(ROOT, 'tmp', 'realworld');
const CACHE = join(ROOT, 'tmp', 'realworld-cache');
const SERVERS: RealServer[] = [alertmanager, powerdns, unleash, loopbackTodo];

async function main(): Promise<void> {
  stopServersOnExit();
  const only = argument('--only')?.split(',').map((id) => id.trim());
  const unknown = (only ?? []).filter((id) => !SERVERS.some((s) => s.id === id));
  if (unknown.length > 0) throw new Error(`unknown server ${unknown.join(', ')}; known: ${SERVERS.map((s) => s.id).join(', ')}`);
  const chosen = SERVERS.filter((s) => !only || only.includes(s.id));
  mkdirSync(OUT, { recursive: true });
  const results: ServerResult[] = [];
  for (const server of chosen) {
    process.stderr.write(`\n== ${server.name}\n`);
    const result = await judge(server);
    results.push(result);
    writeFileSync(join(OUT, `${server.id}.json`), JSON.stringify(result, null, 2) + '\n');
    process.stdout.write(printServerResult(result) + '\n');
  }
  writeFileSync(join(OUT, 'results.json'), JSON.stringify({ at: new Date().toISOString(), servers: results }, null, 2) + '\n');
  process.stderr.write(`\nwritten: ${join(OUT, 'results.json')}\n`);
  if (results.some((r) => r.error)) process.exitCode = 1;
}

async function judge(server: RealServer): Promise<ServerResult> {
  const dir = join(OUT, server.id);
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const result: ServerResult = { id: server.id, name: server.name, versions: {}, specSource: '', runners: {}, cases: [] };
  try {
    result.versions = await server.install(CACHE);
    let suite: { dir: string; document: unknown; cases: TestCase[] } | null = null;
    const outcomes: Partial<Record<RunnerName, Map<string, RunnerCase>>> = {};
    for (const runner of RUNNERS) {
      const workDir = join(dir, `server-${runner}`);
      mkdirSync(workDir, { recursive: true });
      process.stderr.write(`${server.id}: starting a fresh instance for ${runner}\n`);
      const started = await server.start({ repoRoot: ROOT, cacheRoot: CACHE, workDir });
      try {
        if (!suite) suite = await makeSuite(started, dir, result);
        const proxy = await startRecordingProxy(started.origin);
        try {
          const baseUrl = proxy.origin + result.basePath;
          process.stderr.write(`${server.id}: ${runner} against ${baseUrl}\n`);
          const t0 = performance.now();
          outcomes[runner] = await runRunner(runner, { dir: suite.dir, repoRoot: ROOT }, baseUrl, started.credentials);
          result.runners[runner] = summarise(outcomes[runner], proxy.exchanges, Math.round(performance.now() - t0));
        } finally {
          await proxy.close();
        }
      } finally {
        await started.stop();
      }
    }
    if (suite) result.cases = caseResults(suite.document, suite.cases, outcomes, Object.values(result.credentialValues ?? {}));
  } catch (error) {
    result.error = String((error as Error).stack ?? error);
    process.stderr.write(`${server.id}: ${result.error}\n`);
  }
  delete result.credentialValues;
  return result;
}

/** The spec as served, the ZIP generated from it, unpacked: what a user would have in hand. */
async function makeSuite(started: StartedServer, dir: string, result: ServerResult): Promise<{ dir: string; document: unknown; cases: TestCase[] }> {
  result.specSource = started.specSource;
  result.credentialValues = started.credentials;
  writeFileSync(join(dir, 'spec.txt'), started.spec);
  const generated = await generateSuite(started.spec);
  writeFileSync(join(dir, 'suite.zip'), generated.zip);
  const suiteDir = join(dir, 'suite');
  await extractZip(generated.zip, suiteDir);
  const document = JSON.parse(readFileSync(join(suiteDir, 'openapi.json'), 'utf8')) as unknown;
  const cases = (JSON.parse(readFileSync(join(suiteDir, 'cases.json'), 'utf8')) as { cases: TestCase[] }).cases;
  result.title = `${generated.title} ${generated.version}`;
  result.operations = generated.operations;
  result.basePath = basePathOf(document);
  return { dir: suiteDir, document, cases };
}

/**
 * The path the spec puts before its paths, as a user reads it: the first server URL's path (Swagger 2's
 * basePath becomes that), without a trailing slash; "" when the spec names none.
 */
function basePathOf(document: unknown): string {
  const servers = (document as { servers?: { url?: string }[] }).servers;
  const url = servers?.[0]?.url;
  if (!url) return '';
  const path = new URL(url, 'http://placeholder').pathname;
  return path.replace(/\/+$/, '');
}

function summarise(outcomes: Map<string, RunnerCase>, exchanges: { status: number | null; accept: string | null }[], ms: number): RunnerSummary {
  const values = [...outcomes.values()];
  const statuses: Record<string, number> = {};
  for (const exchange of exchanges) statuses[String(exchange.status ?? 'none')] = (statuses[String(exchange.status ?? 'none')] ?? 0) + 1;
  return {
    passed: values.filter((v) => v.passed).length,
    failed: values.filter((v) => !v.passed).length,
    requests: exchanges.length,
    answered404: exchanges.filter((e) => e.status === 404).length,
    statuses,
    accept: [...new Set(exchanges.map((e) => e.accept ?? '(none)'))],
    ms,
  };
}

function caseResults(
  document: unknown,
  cases: TestCase[],
  outcomes: Partial<Record<RunnerName, Map<string, RunnerCase>>>,
  secrets: string[],
): CaseResult[] {
  const redact = (text: string) => secrets.reduce((t, secret) => (secret ? t.split(secret).join('<redacted>') : t), text);
  return cases.map((testCase) => {
    const result: CaseResult = {
      id: testCase.id,
      title: testCase.title,
      endpoint: testCase.endpoint,
      kind: testCase.kind,
      expected: testCase.expect.responses ? Object.keys(testCase.expect.responses).join('|') : String(testCase.expect.status ?? testCase.expect.statusClass),
      runners: {},
    };
    for (const runner of RUNNERS) {
      const outcome = outcomes[runner]?.get(testCase.title);
      if (!outcome) continue;
      const message = outcome.message ? redact(outcome.message) : undefined;
      result.runners[runner] = {
        passed: outcome.passed,
        status: outcome.status,
        ...(outcome.passed
          ? {}
          : {
              failure: failureKind(testCase, outcome.status, message ?? ''),
              ...(outcome.status !== null ? { documented: documentsStatus(document, testCase, outcome.status) } : {}),
              message,
              ...(outcome.exchange ? { exchange: outcome.exchange.map(redact) } : {}),
            }),
      };
    }
    return result;
  });
}

function argument(name: string): string | undefined {
  const args = process.argv.slice(2);
  const at = args.indexOf(name);
  if (at >= 0) return args[at + 1];
  const inline = args.find((a) => a.startsWith(`${name}=`));
  return inline?.slice(name.length + 1);
}

main()
  .catch((error) => {
    process.stderr.write(`${(error as Error).stack ?? error}\n`);
    process.exitCode = 1;
  })
  .finally(() => stopGenerator());
