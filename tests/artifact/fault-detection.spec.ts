import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestCase } from '@spectest/contracts';
import { readSpec, stopSpecValidator } from '@spectest/openapi';
import { buildFoundationCases } from '@spectest/cases';
import { buildArtifactFiles, zipArtifact } from '@spectest/artifact';
import { PETSTORE_FAULTS, PetstoreFault, startPetstoreServer } from '../support/petstore-server';
import { extractZip, failedTests, linkDependencies, runNodeTest } from '../support/generated-suite';

jest.setTimeout(60_000);

const FIXTURES = join(__dirname, '../fixtures');

/**
 * The generated suite earns its keep when the server is wrong. One faulty petstore carries four faults,
 * each in its own place; every fault must show up as a failing test, by name, with the reason.
 */
describe('generated suite finds the faults of a broken petstore', () => {
  let workDir: string;
  let cases: TestCase[];
  let failures: Map<string, string>;
  let passed: number;

  beforeAll(async () => {
    const spec = await readSpec(await readFile(join(FIXTURES, 'petstore.yaml')));
    cases = spec.endpoints.flatMap((endpoint) => buildFoundationCases(spec, endpoint));
    const files = buildArtifactFiles({ title: spec.title, version: spec.version, document: spec.document, cases, report: { warnings: [], stageTimings: [] } });
    workDir = await mkdtemp(join(tmpdir(), 'spectest-faults-'));
    await extractZip(await zipArtifact(files), workDir);
    await linkDependencies(join(workDir, 'tests'));
    const server = await startPetstoreServer({ faults: [...PETSTORE_FAULTS] });
    try {
      const run = await runNodeTest(join(workDir, 'tests'), server.url);
      expect(run.exitCode).not.toBe(0);
      failures = failedTests(run.output);
      passed = run.pass;
      expect(run.fail).toBe(failures.size);
    } finally {
      await server.close();
    }
  });

  afterAll(async () => {
    stopSpecValidator();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  const titled = (endpoint: string, kind: TestCase['kind']) => cases.filter((c) => c.endpoint === endpoint && c.kind === kind);
  const faultChecks: Record<PetstoreFault, () => void> = {
    wrong_status: () => {
      const [positive] = titled('POST /pets', 'positive');
      expect(failures.get(positive.title)).toContain('Expected status 201, got 200');
    },
    missing_required_field: () => {
      const [positive] = titled('GET /pets/{petId}', 'positive');
      expect(failures.get(positive.title)).toContain("(body) must have required property 'name'");
    },
    wrong_type: () => {
      const [positive] = titled('GET /pets', 'positive');
      expect(failures.get(positive.title)).toContain('/0/id must be integer');
    },
    accepts_invalid_input: () => {
      const invalid = cases.filter((c) => c.endpoint === 'POST /pets' && c.expect.statusClass === '4xx');
      expect(invalid.length).toBeGreaterThanOrEqual(2);
      // Valid bodies in the wrong media type also meet the wrong_status fault (200).
      for (const testCase of invalid) expect(failures.get(testCase.title)).toMatch(/Expected a 4xx status, got 20[01] /);
    },
  };

  it.each(PETSTORE_FAULTS.map((fault) => [fault]))('reports %s', (fault) => {
    faultChecks[fault]();
  });

  it('fails only where the server is wrong, and each failure shows the request and the response', () => {
    // GET /pets still validates `limit`, so its negative cases keep passing.
    const expected = cases.filter((c) => c.endpoint === 'POST /pets' || c.kind === 'positive').map((c) => c.title);
    expect([...failures.keys()].sort()).toEqual(expected.sort());
    expect(passed).toBe(cases.length - expected.length);
    for (const detail of failures.values()) {
      expect(detail).toMatch(/Request: (GET|POST) http:\/\/127\.0\.0\.1:\d+\/pets/);
      expect(detail).toContain('Response status: ');
      expect(detail).toContain('Response body: ');
    }
  });
});
