import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { ReadSpecStep, readSpec, selectEndpoints, stopSpecValidator } from '@spectest/openapi';
import { buildFoundationCases } from '@spectest/cases';
import { ensureCorpus } from '../corpus/corpus-source';
import { StageGaps, measureService } from './bench-parse-service';

/**
 * `npm run bench:parse`: wall time and peak RSS of read + validate + per-operation planning ("dereference")
 * + foundation on petstore, GitHub's REST API, Stripe, DocuSign and the largest corpus document
 * (graph-beta), with default limits, next to swagger-parser's validate + dereference alone, each in a
 * fresh process so the peaks do not mix. Also the longest silence between progress events the
 * spec-parser would emit: a sub-step boundary, or a foundation endpoint once the 250 ms coalescing
 * window has passed (StageReporter.reportCoalesced). With BENCH_SERVICE=1, graph-beta also goes through
 * the embedded app (built) and the stored events of its parsing and foundation stages are replayed to
 * measure their silences. Prints figures; asserts nothing.
 */
const repoRoot = resolve(__dirname, '..', '..', '..');
const COALESCE_MS = 250;
/** The spec-parser's PARSE_HEARTBEAT_MS default: while a step runs, an event this often if the event loop is free. */
const HEARTBEAT_MS = 1000;

/**
 * Both sides validate this first, so the figures are those of a running service (whose validator worker
 * and swagger-parser's JSON schemas are loaded) and not of a cold start, which costs about a second more.
 */
const WARM_UP_DOCUMENT = {
  openapi: '3.0.3',
  info: { title: 'warm-up', version: '1' },
  paths: { '/a': { get: { responses: { '200': { description: 'ok' } } } } },
};

interface Measure {
  target: string;
  mode: 'library' | 'spectest';
  ms: number;
  peakRssMiB: number;
  steps?: Record<string, number>;
  endpoints?: number;
  cases?: number;
  events?: number;
  longestSilenceMs?: number;
  silentDuring?: string;
  error?: string;
}

function targets(): Record<string, string> {
  const api = ensureCorpus(repoRoot);
  return {
    petstore: join(repoRoot, 'tests', 'fixtures', 'petstore.yaml'),
    'github.com/api.github.com': join(api, 'github.com', 'api.github.com.json'),
    'stripe.com': join(api, 'stripe.com.json'),
    'docusign.net': join(api, 'docusign.net.json'),
    'microsoft.com/graph-beta': join(api, 'microsoft.com', 'graph-beta.json'),
  };
}

async function measureLibrary(target: string, file: string): Promise<Measure> {
  // The same options as our validator worker: nothing outside the document is resolved.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const SwaggerParser = require('@apidevtools/swagger-parser');
  const options = { resolve: { external: false, file: false, http: false }, dereference: { circular: true } };
  await new SwaggerParser().validate(structuredClone(WARM_UP_DOCUMENT), options);
  const started = performance.now();
  const text = readFileSync(file, 'utf8');
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const document = file.endsWith('.json') ? JSON.parse(text) : require('yaml').parse(text);
  const steps: Record<string, number> = {};
  let at = performance.now();
  await new SwaggerParser().validate(structuredClone(document), options);
  steps.validate = Math.round(performance.now() - at);
  at = performance.now();
  await new SwaggerParser().dereference(document, options);
  steps.dereference = Math.round(performance.now() - at);
  return { target, mode: 'library', ms: Math.round(performance.now() - started), peakRssMiB: peakRss(), steps };
}

async function measureSpectest(target: string, file: string): Promise<Measure> {
  await readSpec(structuredClone(WARM_UP_DOCUMENT));
  const events: { at: number; what: string }[] = [];
  const steps: Record<string, number> = {};
  const started = performance.now();
  const event = (what: string) => events.push({ at: performance.now(), what });
  let current: { step: ReadSpecStep; at: number } | null = null;
  let spec: Awaited<ReturnType<typeof readSpec>>;
  let heartbeat: NodeJS.Timeout | undefined;
  try {
    // Default limits, as the service runs. The heartbeat stands for ParseStepHeartbeat: a step that holds
    // the event loop (JSON.parse, the guards, planning between its yields) shows up as a long silence.
    heartbeat = setInterval(() => event('heartbeat'), HEARTBEAT_MS);
    spec = await readSpec(readFileSync(file), {}, (step) => {
      const now = performance.now();
      if (current) steps[current.step] = Math.round(now - current.at);
      current = { step, at: now };
      event(step);
    });
  } catch (error) {
    clearInterval(heartbeat);
    await stopSpecValidator();
    const code = (error as { code?: string }).code ?? 'crash';
    return { target, mode: 'spectest', ms: Math.round(performance.now() - started), peakRssMiB: peakRss(), steps, error: `${code}: ${(error as Error).message}` };
  }
  clearInterval(heartbeat);
  const last = current as { step: ReadSpecStep; at: number } | null;
  if (last) steps[last.step] = Math.round(performance.now() - last.at);
  const endpoints = selectEndpoints(spec);
  event('parsing.done');
  const foundationStart = performance.now();
  let cases = 0;
  let lastEvent = 0;
  for (const endpoint of endpoints) {
    const now = performance.now();
    if (now - lastEvent >= COALESCE_MS) {
      event('foundation.endpoint');
      lastEvent = now;
    }
    cases += buildFoundationCases({ ...spec, endpoints }, endpoint).length;
  }
  steps.foundation = Math.round(performance.now() - foundationStart);
  event('foundation.done');
  let longest = 0;
  let silentDuring = '';
  for (let i = 1; i < events.length; i++) {
    const gap = events[i].at - events[i - 1].at;
    if (gap > longest) [longest, silentDuring] = [gap, `${events[i - 1].what} -> ${events[i].what}`];
  }
  await stopSpecValidator();
  return {
    target,
    mode: 'spectest',
    ms: Math.round(performance.now() - started),
    peakRssMiB: peakRss(),
    steps,
    endpoints: endpoints.length,
    cases,
    events: events.length,
    longestSilenceMs: Math.round(longest),
    silentDuring,
  };
}

/** Of this process, its worker threads included: the validator runs in one. */
function peakRss(): number {
  return Math.round(process.resourceUsage().maxRSS / 1024);
}

function runChild(target: string, mode: Measure['mode']): Measure {
  try {
    const out = execFileSync(process.execPath, ['--max-old-space-size=4096', __filename, '--child', target, mode], {
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'inherit'],
      maxBuffer: 16 * 1024 * 1024,
    });
    return JSON.parse(out.trim().split('\n').pop()!) as Measure;
  } catch (error) {
    return { target, mode, ms: 0, peakRssMiB: 0, error: (error as Error).message.split('\n')[0] };
  }
}

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(2)} s`;
}

async function main(): Promise<void> {
  const files = targets();
  if (process.argv[2] === '--child') {
    const [target, mode] = process.argv.slice(3);
    const measure = mode === 'library' ? await measureLibrary(target, files[target]) : await measureSpectest(target, files[target]);
    process.stdout.write(JSON.stringify(measure) + '\n');
    return;
  }
  const only = process.env.BENCH_TARGET;
  const rows: Measure[] = [];
  for (const target of Object.keys(files)) {
    if (only && !target.includes(only)) continue;
    for (const mode of ['library', 'spectest'] as const) {
      const m = runChild(target, mode);
      rows.push(m);
      process.stderr.write(`${target} ${mode}: ${m.error ?? seconds(m.ms) + ', ' + m.peakRssMiB + ' MiB'}\n`);
    }
  }
  const lines = [
    '| spec | measured | wall | peak RSS | steps (ms) | endpoints | cases | progress events | longest silence |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows.map(
      (m) =>
        `| ${m.target} | ${m.mode === 'library' ? 'swagger-parser validate + dereference' : 'readSpec + foundation'} | ` +
        `${m.error ? 'error: ' + m.error : seconds(m.ms)} | ${m.peakRssMiB} MiB | ${JSON.stringify(m.steps ?? {})} | ` +
        `${m.endpoints ?? ''} | ${m.cases ?? ''} | ${m.events ?? ''} | ${m.longestSilenceMs !== undefined ? `${seconds(m.longestSilenceMs)} (${m.silentDuring})` : ''} |`,
    ),
  ];
  process.stdout.write(lines.join('\n') + '\n');

  // BENCH_SERVICE=1: graph-beta through the real app too (needs `npm run build`), events as stored.
  if (process.env.BENCH_SERVICE === '1') {
    const target = 'microsoft.com/graph-beta';
    const m = await measureService(repoRoot, target, files[target]);
    const stage = (g: StageGaps | undefined) => (g ? `${g.events} events in ${seconds(g.ms)}, longest silence ${seconds(g.longestGapMs)} after ${g.after}` : '');
    process.stdout.write(
      [
        '',
        '| spec (embedded app) | task | cases | whole task | parsing + foundation | app peak RSS | parsing | foundation |',
        '| --- | --- | --- | --- | --- | --- | --- | --- |',
        `| ${target} | ${m.error ? 'error: ' + m.error : m.status} | ${m.caseCount ?? ''} | ${seconds(m.taskMs)} | ` +
          `${m.parseAndFoundationMs !== undefined ? seconds(m.parseAndFoundationMs) : ''} | ${m.peakRssMiB} MiB | ${stage(m.parsing)} | ${stage(m.foundation)} |`,
      ].join('\n') + '\n',
    );
  }
}

void main();
