import { spawn } from 'node:child_process';
import { mkdtemp, mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as yauzl from 'yauzl';
import { TestCase } from '@spectest/contracts';
import { buildArtifactFiles, buildFoundationCases, readSpec, zipArtifact, stopSpecValidator } from '../index';
import { startPetstoreServer } from '../../../../tests/support/petstore-server';

afterAll(() => stopSpecValidator());

const FIXTURES = join(__dirname, '../../../../tests/fixtures');

/** The point of the whole library: the ZIP we produce runs, and passes exactly against a correct server. */
describe('generated node:test suite against the petstore', () => {
  let workDir: string;
  let cases: TestCase[];

  beforeAll(async () => {
    const spec = await readSpec(await readFile(join(FIXTURES, 'petstore.yaml')));
    cases = spec.endpoints.flatMap((endpoint) => buildFoundationCases(spec, endpoint));
    const files = buildArtifactFiles({
      title: spec.title,
      version: spec.version,
      document: spec.document,
      cases,
      report: { warnings: spec.warnings, stageTimings: [] },
    });
    workDir = await mkdtemp(join(tmpdir(), 'spectest-suite-'));
    await extractZip(await zipArtifact(files), workDir);
  });

  afterAll(async () => {
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it('covers positive and negative cases of every operation', () => {
    expect(new Set(cases.map((c) => c.endpoint))).toEqual(new Set(['GET /pets', 'POST /pets', 'GET /pets/{petId}']));
    expect(cases.map((c) => c.kind).sort()).toEqual(
      ['missing_required_field', 'missing_required_field', 'positive', 'positive', 'positive', 'wrong_type', 'wrong_type'],
    );
  });

  it('passes every case against the faithful server', async () => {
    const server = await startPetstoreServer();
    try {
      const run = await runNodeTest(join(workDir, 'tests'), server.url);
      expect({ exitCode: run.exitCode, pass: run.pass, fail: run.fail }).toEqual({ exitCode: 0, pass: cases.length, fail: 0 });
      expect(server.requests.length).toBe(cases.length);
    } finally {
      await server.close();
    }
  }, 60_000);

  it('fails against a faulty server, and says what was expected', async () => {
    const server = await startPetstoreServer({ faulty: true });
    try {
      const run = await runNodeTest(join(workDir, 'tests'), server.url);
      expect(run.exitCode).not.toBe(0);
      expect(run.fail).toBeGreaterThan(0);
      expect(run.output).toContain('Expected status 201, got 200');
      expect(run.output).toContain('Request: POST http://127.0.0.1:');
    } finally {
      await server.close();
    }
  }, 60_000);

  it('fails clearly when BASE_URL is not set', async () => {
    const run = await runNodeTest(join(workDir, 'tests'), undefined);
    expect(run.exitCode).not.toBe(0);
    expect(run.output).toContain('BASE_URL is not set');
  }, 60_000);
});

interface NodeTestRun {
  exitCode: number | null;
  pass: number;
  fail: number;
  output: string;
}

function runNodeTest(cwd: string, baseUrl: string | undefined): Promise<NodeTestRun> {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.NODE_TEST_CONTEXT;
  delete env.NODE_OPTIONS;
  delete env.BASE_URL;
  if (baseUrl) env.BASE_URL = baseUrl;
  return new Promise((resolve, reject) => {
    // Asynchronous on purpose: the server under test lives in this process and must keep answering.
    const child = spawn(process.execPath, ['--test', '--test-reporter=tap'], { cwd, env });
    let output = '';
    child.stdout.on('data', (chunk) => (output += chunk));
    child.stderr.on('data', (chunk) => (output += chunk));
    child.on('error', reject);
    child.on('close', (exitCode) => {
      // TAP summary lines; a missing one gives NaN, which no assertion accepts.
      const count = (name: string) => Number(output.match(new RegExp(`^# ${name} (\\d+)$`, 'm'))?.[1] ?? NaN);
      resolve({ exitCode, pass: count('pass'), fail: count('fail'), output });
    });
  });
}

async function extractZip(zip: Buffer, target: string): Promise<void> {
  const zipfile = await new Promise<yauzl.ZipFile>((resolve, reject) =>
    yauzl.fromBuffer(zip, { lazyEntries: true }, (error, file) => (error ? reject(error) : resolve(file!))),
  );
  await new Promise<void>((resolve, reject) => {
    zipfile.on('error', reject);
    zipfile.on('end', () => resolve());
    zipfile.on('entry', (entry: yauzl.Entry) => {
      zipfile.openReadStream(entry, (error, stream) => {
        if (error || !stream) return reject(error);
        const chunks: Buffer[] = [];
        stream.on('data', (chunk: Buffer) => chunks.push(chunk));
        stream.on('error', reject);
        stream.on('end', () => {
          const path = join(target, entry.fileName);
          mkdir(dirname(path), { recursive: true })
            .then(() => writeFile(path, Buffer.concat(chunks)))
            .then(() => zipfile.readEntry(), reject);
        });
      });
    });
    zipfile.readEntry();
  });
}
