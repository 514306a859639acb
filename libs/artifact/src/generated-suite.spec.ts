import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestCase } from '@spectest/contracts';
import { readSpec, stopSpecValidator } from '@spectest/openapi';
import { buildFoundationCases } from '@spectest/cases';
import { buildArtifactFiles, zipArtifact } from './index';
import { startPetstoreServer } from '../../../tests/support/petstore-server';
import { extractZip, linkDependencies, runNodeTest } from '../../../tests/support/generated-suite';

afterAll(() => stopSpecValidator());

const FIXTURES = join(__dirname, '../../../tests/fixtures');

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
    await linkDependencies(join(workDir, 'tests'));
  });

  afterAll(async () => {
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it('covers positive and negative cases of every operation', () => {
    expect(new Set(cases.map((c) => c.endpoint))).toEqual(new Set(['GET /pets', 'POST /pets', 'GET /pets/{petId}']));
    // At least these; more negative kinds may join without changing what this suite proves.
    expect(cases.map((c) => c.kind).sort()).toEqual(
      expect.arrayContaining(['missing_required_field', 'missing_required_field', 'positive', 'positive', 'positive', 'wrong_type', 'wrong_type']),
    );
    expect(cases.filter((c) => c.kind === 'positive')).toHaveLength(3);
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

  it('writes JUnit XML with the reporters of npm run test:junit: a testcase per case, failures for the faulty server', async () => {
    const pkg = JSON.parse(await readFile(join(workDir, 'tests/package.json'), 'utf8'));
    const junitArgs = ['--test-reporter=junit', '--test-reporter-destination=junit.xml'];
    expect(pkg.scripts['test:junit']).toContain(junitArgs.join(' '));
    for (const faulty of [false, true]) {
      const server = await startPetstoreServer({ faulty });
      try {
        const run = await runNodeTest(join(workDir, 'tests'), server.url, junitArgs);
        const xml = await readFile(join(workDir, 'tests/junit.xml'), 'utf8');
        expect(xml.startsWith('<?xml')).toBe(true);
        expect(xml.match(/<testcase /g)).toHaveLength(cases.length);
        expect((xml.match(/<failure /g) ?? []).length).toBe(run.fail);
        expect(run.fail > 0).toBe(faulty);
      } finally {
        await server.close();
      }
    }
  }, 60_000);

  it('fails clearly when BASE_URL is not set', async () => {
    const run = await runNodeTest(join(workDir, 'tests'), undefined);
    expect(run.exitCode).not.toBe(0);
    expect(run.output).toContain('BASE_URL is not set');
  }, 60_000);
});
