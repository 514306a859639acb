import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { TestCase } from '@spectest/contracts';
import { readSpec, selectEndpoints, stopSpecValidator } from '@spectest/openapi';
import { buildFoundationCases } from '@spectest/cases';
import { ensureCorpus } from '../corpus/corpus-source';
import { ASSERTION_KINDS, Census, REQUEST_KINDS, censusOfCollection } from './collection-census';
import { OFFLINE_GUARD_MARK } from './offline-guard';
import { censusOfCases } from './our-census';
import { OracleRun, judgeOnPetstore, ourPetstoreCollection } from './petstore-oracle';
import { PORTMAN_PACKAGE, ensurePortman } from './portman-source';
import { PORTMAN_FULL_CONFIG, PortmanProfile } from './portman-profiles';

/**
 * `npm run compare:portman`: the cases we generate next to the Postman collections Portman generates for
 * the same specs (petstore and two big specs of the corpus), counted by kind of request and kind of check.
 * Portman runs in a child process with the network cut off (offline-guard) and a time limit.
 * COMPARE_SPECS (comma-separated corpus ids) replaces the two corpus specs; PORTMAN_TIMEOUT_MS (default 900000).
 */
// Compiled to tmp/compare-build/scripts/compare/.
const ROOT = resolve(__dirname, '..', '..', '..', '..');
const OUT = join(ROOT, 'tmp', 'compare');
const TIMEOUT_MS = Number(process.env.PORTMAN_TIMEOUT_MS ?? 900_000);
const DEFAULT_CORPUS_SPECS = ['github.com/api.github.com', 'zoom.us'];

interface Target {
  id: string;
  file: string;
}

interface ToolRun {
  census: Census | null;
  /** The collection (Portman's, or our Postman one), kept for the petstore oracle. */
  collection?: unknown;
  environment?: unknown;
  oracle?: OracleRun;
  ms: number;
  /** Same output on a second run (ids aside); null when not checked. */
  deterministic: boolean | null;
  networkAttempts: number;
  error?: string;
}

async function main(): Promise<void> {
  const portman = ensurePortman(ROOT);
  const corpusIds = process.env.COMPARE_SPECS ? process.env.COMPARE_SPECS.split(',').map((s) => s.trim()) : DEFAULT_CORPUS_SPECS;
  const apiDir = ensureCorpus(ROOT);
  const targets: Target[] = [
    { id: 'petstore', file: join(ROOT, 'tests', 'fixtures', 'petstore.yaml') },
    ...corpusIds.map((id) => ({ id, file: join(apiDir, `${id}.json`) })),
  ];
  rmSync(OUT, { recursive: true, force: true });
  mkdirSync(OUT, { recursive: true });
  const fullConfig = join(OUT, 'portman-config.full.json');
  writeFileSync(fullConfig, JSON.stringify(PORTMAN_FULL_CONFIG, null, 2));
  const defaultConfig = join(portman, '..', '..', 'portman-config.default.json');

  const results: Record<string, Record<string, ToolRun>> = {};
  const sections: string[] = [`# Cases: spectest foundation vs ${PORTMAN_PACKAGE}`, ''];
  for (const target of targets) {
    process.stderr.write(`${target.id}: spectest...\n`);
    const ours = await runOurs(target);
    const runs: Record<string, ToolRun> = { spectest: ours };
    for (const profile of ['default', 'full'] as PortmanProfile[]) {
      process.stderr.write(`${target.id}: portman ${profile}...\n`);
      runs[`portman ${profile}`] = await runPortman(portman, target, profile, profile === 'default' ? defaultConfig : fullConfig);
    }
    if (target.id === 'petstore') {
      for (const run of Object.values(runs)) if (run.collection) run.oracle = await judgeOnPetstore(run.collection, run.environment);
    }
    for (const run of Object.values(runs)) {
      delete run.collection;
      delete run.environment;
    }
    results[target.id] = runs;
    sections.push(table(target.id, runs), '');
    process.stdout.write(table(target.id, runs) + '\n\n');
  }
  writeFileSync(join(OUT, 'portman.md'), sections.join('\n'));
  writeFileSync(join(OUT, 'portman.json'), JSON.stringify(results, null, 2) + '\n');
  process.stderr.write(`written: ${join(OUT, 'portman.md')}, ${join(OUT, 'portman.json')}\n`);
}

async function runOurs(target: Target): Promise<ToolRun> {
  const generate = async () => {
    const spec = await readSpec(readFileSync(target.file));
    const endpoints = selectEndpoints(spec, undefined);
    return { spec, cases: endpoints.flatMap((e) => buildFoundationCases({ ...spec, endpoints }, e)), operations: endpoints.length };
  };
  const t0 = performance.now();
  try {
    const first = await generate();
    const ms = Math.round(performance.now() - t0);
    const again = await generate();
    const postman = target.id === 'petstore' ? ourPetstoreCollection(first.spec, first.cases) : null;
    return {
      census: censusOfCases(first.cases, first.operations),
      ...(postman ?? {}),
      ms,
      deterministic: digest(first.cases) === digest(again.cases),
      networkAttempts: 0,
    };
  } catch (error) {
    return { census: null, ms: Math.round(performance.now() - t0), deterministic: null, networkAttempts: 0, error: String((error as Error).message ?? error) };
  }
}

function digest(cases: TestCase[]): string {
  return createHash('sha256').update(JSON.stringify(cases)).digest('hex');
}

async function runPortman(bin: string, target: Target, profile: PortmanProfile, config: string): Promise<ToolRun> {
  const once = async (round: number) => {
    const work = join(OUT, 'work', target.id.replace(/[^A-Za-z0-9._-]+/g, '_'), `${profile}-${round}`);
    mkdirSync(work, { recursive: true });
    const output = join(work, 'collection.json');
    const t0 = performance.now();
    const run = await spawnPortman(bin, ['-l', target.file, '-o', output, '-c', config, '--no-warn'], work);
    const ms = Math.round(performance.now() - t0);
    const networkAttempts = run.stderr.split('\n').filter((line) => line.includes(OFFLINE_GUARD_MARK)).length;
    if (run.code !== 0) return { ms, networkAttempts, collection: null, error: `exit ${run.code ?? run.signal}: ${run.stderr.trim().split('\n').slice(-3).join(' / ')}` };
    try {
      return { ms, networkAttempts, collection: JSON.parse(readFileSync(output, 'utf8')) as { item: never[] } };
    } catch (error) {
      return { ms, networkAttempts, collection: null, error: `no collection: ${(error as Error).message}` };
    }
  };
  const first = await once(1);
  if (!first.collection) return { census: null, ms: first.ms, deterministic: null, networkAttempts: first.networkAttempts, error: first.error };
  // Portman fills values with faker; run it again to see whether the same spec gives the same requests.
  const second = profile === 'default' ? await once(2) : null;
  return {
    census: censusOfCollection(first.collection),
    collection: first.collection,
    ms: first.ms,
    deterministic: second?.collection ? withoutIds(first.collection) === withoutIds(second.collection) : null,
    networkAttempts: first.networkAttempts + (second?.networkAttempts ?? 0),
  };
}

function withoutIds(collection: unknown): string {
  return JSON.stringify(collection, (key, value) => (key === 'id' || key === '_postman_id' || key === 'postman_id' ? undefined : value));
}

function spawnPortman(bin: string, args: string[], cwd: string): Promise<{ code: number | null; signal: string | null; stderr: string }> {
  return new Promise((resolvePromise) => {
    const child = spawn(process.execPath, ['--max-old-space-size=4096', '-r', join(__dirname, 'offline-guard.js'), bin, ...args], {
      cwd,
      stdio: ['ignore', 'ignore', 'pipe'],
      env: { ...process.env, NODE_NO_WARNINGS: '1' },
    });
    let stderr = '';
    child.stderr.on('data', (chunk) => (stderr = (stderr + String(chunk)).slice(-20_000)));
    const timer = setTimeout(() => child.kill('SIGKILL'), TIMEOUT_MS);
    child.on('exit', (code, signal) => {
      clearTimeout(timer);
      resolvePromise({ code, signal, stderr });
    });
  });
}

function table(id: string, runs: Record<string, ToolRun>): string {
  const tools = Object.keys(runs);
  const cell = (run: ToolRun, pick: (c: Census) => number | undefined) => (run.census ? String(pick(run.census) ?? 0) : '—');
  const sum = (map: Record<string, number>) => Object.values(map).reduce((a, b) => a + b, 0);
  const rows: string[][] = [
    ['operations', ...tools.map((t) => cell(runs[t], (c) => c.operations))],
    ['**requests (cases)**', ...tools.map((t) => cell(runs[t], (c) => sum(c.requests)))],
    ...REQUEST_KINDS.filter((k) => tools.some((t) => runs[t].census?.requests[k])).map((k) => [`  ${k}`, ...tools.map((t) => cell(runs[t], (c) => c.requests[k]))]),
    ['**checks (assertions)**', ...tools.map((t) => cell(runs[t], (c) => sum(c.assertions)))],
    ...ASSERTION_KINDS.filter((k) => tools.some((t) => runs[t].census?.assertions[k])).map((k) => [`  ${k}`, ...tools.map((t) => cell(runs[t], (c) => c.assertions[k]))]),
    ...(tools.some((t) => runs[t].oracle)
      ? [
          ['newman vs faithful petstore: requests failing (false alarms)', ...tools.map((t) => oracleCell(runs[t].oracle, (o) => o.faithfulFailures))],
          ['newman vs petstore with 4 faults: requests failing', ...tools.map((t) => oracleCell(runs[t].oracle, (o) => o.faultyFailures))],
        ]
      : []),
    ['wall time (s)', ...tools.map((t) => (runs[t].ms / 1000).toFixed(1))],
    ['same output on a second run', ...tools.map((t) => (runs[t].deterministic === null ? 'not checked' : runs[t].deterministic ? 'yes' : 'no'))],
    ['network attempts', ...tools.map((t) => String(runs[t].networkAttempts))],
  ];
  const errors = [
    ...tools.filter((t) => runs[t].error).map((t) => `- ${t}: ${runs[t].error}`),
    ...tools.flatMap((t) => (runs[t].oracle?.falseAlarms ?? []).map((alarm) => `- ${t}, false alarm: ${alarm}`)),
  ];
  return [
    `## ${id}`,
    '',
    `| | ${tools.join(' | ')} |`,
    `| --- | ${tools.map(() => '---:').join(' | ')} |`,
    ...rows.map((r) => `| ${r.join(' | ')} |`),
    ...(errors.length ? ['', ...errors] : []),
  ].join('\n');
}

function oracleCell(oracle: OracleRun | undefined, pick: (o: OracleRun) => number): string {
  return oracle ? `${pick(oracle)} of ${oracle.requests}` : '—';
}

main()
  .catch((error) => {
    process.stderr.write(`${(error as Error).stack ?? error}\n`);
    process.exitCode = 1;
  })
  .finally(() => stopSpecValidator());
