import { createHash } from 'node:crypto';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { readSpec, selectEndpoints, stopSpecValidator } from '@spectest/openapi';
import { buildFoundationCases } from '@spectest/cases';
import { ArtifactInput, artifactEntries, zipArtifactStream } from '@spectest/artifact';
import { ensureCorpus } from '../corpus/corpus-source';
import { extractZip, failedTests, linkDependencies, readZipEntries, runNodeTest } from '../../tests/support/generated-suite';
import { runNewman } from '../../tests/support/newman-run';
import { sortedRequests, startRecordingServer } from '../../tests/support/recording-server';
import { oracleSummary, runOracle } from '../../tests/oracle/oracle-run';

/**
 * `npm run golden -- record <dir>`: what generation gives for a fixed set of specs, written to <dir>, so that
 * a change that must not alter behaviour can be checked against the output of the code before it:
 * - cases.json, byte for byte, and every file of the ZIP by sha256 (files.tsv), the ZIP's own sha256, and
 *   whether two generations from scratch give the same ZIP bytes;
 * - for all but the largest, every request each runner of the ZIP sends (node:test and the Postman collection
 *   through newman) to a server that records them and answers 200 `{}`, with fixed credentials for every
 *   security scheme, and what each runner says of each test it fails there (the status and schema checks);
 * - for the oracle fixtures, how each case fared in each runner against Prism (tests/oracle), case by case.
 * `npm run golden -- compare <before> <after>` says, per spec, what is identical and what is not.
 * Large specs come from the corpus (installed on demand into tmp/, see corpus-source.ts).
 */
// Compiled to tmp/golden-build/scripts/golden/golden.js: the repo is four folders up.
const repoRoot = resolve(__dirname, '..', '..', '..', '..');

interface GoldenSpec {
  name: string;
  file: () => string;
  /** Run both runners of the ZIP against the recording server (a few thousand requests at most). */
  record: boolean;
  /** Run the Prism oracle on it (tests/oracle/oracle-run.ts). */
  oracle?: boolean;
}

const fixture = (path: string) => () => join(repoRoot, 'tests', 'fixtures', path);
const corpus = (id: string) => () => join(ensureCorpus(repoRoot), `${id}.json`);

const SPECS: GoldenSpec[] = [
  { name: 'petstore', oracle: true, file: fixture('petstore.yaml'), record: true },
  { name: 'bookstore', oracle: true, file: fixture('bookstore.openapi31.yaml'), record: true },
  { name: 'petstore-swagger2', file: fixture('petstore.swagger2.json'), record: true },
  { name: 'warehouse', oracle: true, file: fixture('oracle/warehouse.swagger2.yaml'), record: true },
  { name: 'clinic', oracle: true, file: fixture('oracle/clinic.openapi31.yaml'), record: true },
  { name: 'github', file: corpus('github.com/api.github.com'), record: true },
  { name: 'stripe', file: corpus('stripe.com'), record: true },
  { name: 'kubernetes', file: corpus('kubernetes.io'), record: false },
];

interface SpecSummary {
  name: string;
  cases: number;
  files: number;
  zipBytes: number;
  zipSha256: string;
  /** A second generation from scratch gave the same ZIP bytes. */
  deterministic: boolean;
  nodeTest?: { pass: number; fail: number; requests: number };
  newman?: { executed: number; failed: number; requests: number };
}

async function record(outDir: string, only: string[]): Promise<void> {
  const summaries: SpecSummary[] = [];
  for (const spec of SPECS.filter((s) => only.length === 0 || only.includes(s.name))) {
    const dir = join(outDir, spec.name);
    await rm(dir, { recursive: true, force: true });
    await mkdir(dir, { recursive: true });
    const started = performance.now();
    const zipPath = join(dir, 'artifact.zip');
    await generateZip(spec.file(), zipPath);
    const zip = await readFile(zipPath);
    const again = join(dir, 'artifact.again.zip');
    await generateZip(spec.file(), again);
    const deterministic = zip.equals(await readFile(again));
    await rm(again);
    const entries = await readZipEntries(zip);
    await writeFile(join(dir, 'cases.json'), entries.get('cases.json')!);
    const lines = [...entries].map(([path, content]) => `${sha256(content)}\t${content.length}\t${path}`);
    await writeFile(join(dir, 'files.tsv'), lines.join('\n') + '\n');
    const summary: SpecSummary = {
      name: spec.name,
      cases: (JSON.parse(entries.get('cases.json')!.toString('utf8')) as { caseCount: number }).caseCount,
      files: entries.size,
      zipBytes: zip.length,
      zipSha256: sha256(zip),
      deterministic,
    };
    if (spec.record) Object.assign(summary, await recordRunners(zip, dir));
    if (spec.oracle) await recordOracle(spec, dir);
    summaries.push(summary);
    process.stdout.write(`${spec.name}: ${summary.cases} cases, ${summary.files} files, ${summary.zipBytes} bytes, deterministic ${deterministic} (${Math.round(performance.now() - started)} ms)\n`);
  }
  // Recording some specs again keeps the others' summaries.
  const summaryPath = join(outDir, 'summary.json');
  const kept = existsSync(summaryPath) ? (JSON.parse(await readFile(summaryPath, 'utf8')) as SpecSummary[]).filter((s) => !summaries.some((n) => n.name === s.name)) : [];
  const ordered = [...kept, ...summaries].sort((a, b) => SPECS.findIndex((s) => s.name === a.name) - SPECS.findIndex((s) => s.name === b.name));
  await writeFile(summaryPath, JSON.stringify(ordered, null, 2) + '\n');
}

/** What the stages do: read the spec, select its endpoints, foundation cases per endpoint, the ZIP as the packager streams it. */
async function generateZip(specFile: string, zipPath: string): Promise<void> {
  const spec = await readSpec(await readFile(specFile));
  const endpoints = selectEndpoints(spec, undefined);
  const cases = endpoints.flatMap((endpoint) => buildFoundationCases(spec, endpoint));
  const input: ArtifactInput = { title: spec.title, version: spec.version, document: spec.document, cases, report: { warnings: spec.warnings, stageTimings: [] } };
  await pipeline(zipArtifactStream(artifactEntries(input)), createWriteStream(zipPath));
}

/** Runs the ZIP's node:test suite and its Postman collection against a recording server; writes what each sent. */
async function recordRunners(zip: Buffer, dir: string): Promise<Pick<SpecSummary, 'nodeTest' | 'newman'>> {
  const work = await mkdtemp(join(tmpdir(), 'spectest-golden-'));
  try {
    await extractZip(zip, work);
    await linkDependencies(join(work, 'tests'));
    const security = JSON.parse(await readFile(join(work, 'tests/support/security.json'), 'utf8')) as Record<string, { envVar: string; apply: string }>;
    const credentials = Object.fromEntries(Object.values(security).map((scheme) => [scheme.envVar, scheme.apply === 'basic' ? 'golden:secret' : `golden-${scheme.envVar}`]));
    const environment = JSON.parse(await readFile(join(work, 'postman/environment.json'), 'utf8')) as { values: { key: string; value: string }[] };
    for (const variable of environment.values) if (credentials[variable.key]) variable.value = credentials[variable.key];
    const collection = JSON.parse(await readFile(join(work, 'postman/collection.json'), 'utf8')) as unknown;

    const nodeServer = await startRecordingServer();
    let nodeTest: SpecSummary['nodeTest'];
    try {
      const run = await runNodeTest(join(work, 'tests'), nodeServer.url, [], credentials);
      nodeTest = { pass: run.pass, fail: run.fail, requests: nodeServer.requests.length };
      await writeFile(join(dir, 'sent-node.json'), JSON.stringify(sortedRequests(nodeServer.requests), null, 2) + '\n');
      // The error of each failed test as node:test reports it (the TAP block's `error`), without the server's port.
      const errors = [...failedTests(run.output)].map(([title, block]) => [title, (/^ {2}error: ([\s\S]*?)\n {2}code:/m.exec(block)?.[1] ?? block).replace(/127\.0\.0\.1:\d+/g, 'HOST')]);
      await writeFile(join(dir, 'failed-node.json'), JSON.stringify(errors.sort(), null, 2) + '\n');
    } finally {
      await nodeServer.close();
    }
    const newmanServer = await startRecordingServer();
    try {
      const run = await runNewman(collection, environment, newmanServer.url);
      await writeFile(join(dir, 'sent-newman.json'), JSON.stringify(sortedRequests(newmanServer.requests), null, 2) + '\n');
      await writeFile(join(dir, 'failed-newman.json'), JSON.stringify([...run.failures].sort(), null, 2) + '\n');
      return { nodeTest, newman: { executed: run.executed, failed: run.failures.size, requests: newmanServer.requests.length } };
    } finally {
      await newmanServer.close();
    }
  } finally {
    await rm(work, { recursive: true, force: true });
  }
}

/** Per case, whether it passed in node:test and in newman against Prism, and the oracle's summary lines. */
async function recordOracle(spec: GoldenSpec, dir: string): Promise<void> {
  const run = await runOracle(spec.file());
  const outcomes = run.cases
    .map((c) => ({ id: c.testCase.id, nodeTest: c.nodeFailure ? 'failed' : 'passed', newman: c.newmanFailure ? 'failed' : 'passed' }))
    .sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  await writeFile(join(dir, 'oracle.json'), JSON.stringify(outcomes, null, 2) + '\n');
  await writeFile(join(dir, 'oracle.txt'), oracleSummary(spec.name, run) + '\n');
}

async function compare(beforeDir: string, afterDir: string): Promise<boolean> {
  const before = JSON.parse(await readFile(join(beforeDir, 'summary.json'), 'utf8')) as SpecSummary[];
  const after = new Map((JSON.parse(await readFile(join(afterDir, 'summary.json'), 'utf8')) as SpecSummary[]).map((s) => [s.name, s]));
  let same = true;
  for (const old of before) {
    const now = after.get(old.name);
    if (!now) {
      process.stdout.write(`${old.name}: not recorded in ${afterDir}\n`);
      same = false;
      continue;
    }
    const identical = async (file: string) => {
      const [a, b] = [join(beforeDir, old.name, file), join(afterDir, old.name, file)];
      if (!existsSync(a) && !existsSync(b)) return 'n/a';
      if (!existsSync(a) || !existsSync(b)) return 'missing';
      return (await readFile(a)).equals(await readFile(b)) ? 'identical' : 'DIFFERENT';
    };
    const checks = {
      'cases.json': await identical('cases.json'),
      'node:test sent': await identical('sent-node.json'),
      'newman sent': await identical('sent-newman.json'),
      'node:test failures': await identical('failed-node.json'),
      'newman failures': await identical('failed-newman.json'),
      'Prism oracle': await identical('oracle.json'),
      deterministic: `${old.deterministic} -> ${now.deterministic}`,
    };
    const files = fileChanges(await readFile(join(beforeDir, old.name, 'files.tsv'), 'utf8'), await readFile(join(afterDir, old.name, 'files.tsv'), 'utf8'));
    const runs = [
      old.nodeTest && `node:test ${old.nodeTest.pass}/${old.nodeTest.fail} -> ${now.nodeTest?.pass}/${now.nodeTest?.fail}`,
      old.newman && `newman ${old.newman.executed}/${old.newman.failed} -> ${now.newman?.executed}/${now.newman?.failed}`,
    ].filter(Boolean);
    process.stdout.write(
      `${old.name} (${old.cases} -> ${now.cases} cases): ${Object.entries(checks).map(([k, v]) => `${k} ${v}`).join('; ')}\n` +
        `  files: ${files.same} identical, changed [${files.changed.join(', ')}], only before [${files.removed.join(', ')}], only after [${files.added.join(', ')}]\n` +
        (runs.length ? `  runs (pass/fail): ${runs.join('; ')}\n` : ''),
    );
    if (Object.values(checks).some((v) => v === 'DIFFERENT' || v === 'missing') || !now.deterministic) same = false;
  }
  return same;
}

/** Files by path: how many are identical, and which changed, went or came; long lists are cut. */
function fileChanges(beforeTsv: string, afterTsv: string): { same: number; changed: string[]; removed: string[]; added: string[] } {
  const parse = (tsv: string) => new Map(tsv.trim().split('\n').map((line) => line.split('\t')).map(([sha, , path]) => [path, sha]));
  const [a, b] = [parse(beforeTsv), parse(afterTsv)];
  const cut = (list: string[]) => (list.length > 12 ? [...list.slice(0, 12), `… ${list.length - 12} more`] : list);
  const shared = [...a.keys()].filter((path) => b.has(path));
  return {
    same: shared.filter((path) => a.get(path) === b.get(path)).length,
    changed: cut(shared.filter((path) => a.get(path) !== b.get(path))),
    removed: cut([...a.keys()].filter((path) => !b.has(path))),
    added: cut([...b.keys()].filter((path) => !a.has(path))),
  };
}

function sha256(data: Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

async function main(): Promise<void> {
  const [command, ...args] = process.argv.slice(2);
  if (command === 'record' && args[0]) await record(resolve(args[0]), args.slice(1));
  else if (command === 'compare' && args[0] && args[1]) process.exitCode = (await compare(resolve(args[0]), resolve(args[1]))) ? 0 : 1;
  else {
    process.stderr.write('usage: npm run golden -- record <dir> [spec names]  |  npm run golden -- compare <before-dir> <after-dir>\n');
    process.exitCode = 2;
  }
  await stopSpecValidator();
}

main().catch((error) => {
  process.stderr.write(`${(error as Error).stack ?? error}\n`);
  process.exitCode = 1;
});
