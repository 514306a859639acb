import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestCase } from '@spectest/contracts';
import { readSpec, stopSpecValidator } from '@spectest/openapi';
import { buildFoundationCases } from '@spectest/cases';
import { buildArtifactFiles, zipArtifact } from '@spectest/artifact';
import { PETSTORE_FAULTS, startPetstoreServer } from '../support/petstore-server';
import { extractZip, failedTests, linkDependencies, runNodeTest } from '../support/generated-suite';
import { runNewman } from '../support/newman-run';

jest.setTimeout(60_000);

const FIXTURES = join(__dirname, '../fixtures');

/** The Postman collection is the same suite in another runner: newman and node:test agree, case by case. */
describe('Postman collection under newman gives the node:test results', () => {
  let workDir: string;
  let cases: TestCase[];
  let collection: unknown;
  let environment: unknown;

  beforeAll(async () => {
    const spec = await readSpec(await readFile(join(FIXTURES, 'petstore.yaml')));
    cases = spec.endpoints.flatMap((endpoint) => buildFoundationCases(spec, endpoint));
    const files = buildArtifactFiles({ title: spec.title, version: spec.version, document: spec.document, cases, report: { warnings: [], stageTimings: [] } });
    workDir = await mkdtemp(join(tmpdir(), 'spectest-postman-'));
    await extractZip(await zipArtifact(files), workDir);
    await linkDependencies(join(workDir, 'tests'));
    collection = JSON.parse(await readFile(join(workDir, 'postman/collection.json'), 'utf8'));
    environment = JSON.parse(await readFile(join(workDir, 'postman/environment.json'), 'utf8'));
  });

  afterAll(async () => {
    stopSpecValidator();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it('passes every case against the faithful petstore, like node:test', async () => {
    const server = await startPetstoreServer();
    try {
      const postman = await runNewman(collection, environment, server.url);
      const node = await runNodeTest(join(workDir, 'tests'), server.url);
      console.log(`faithful petstore: newman ${postman.executed - postman.failures.size}/${postman.executed} passed, node:test ${node.pass}/${node.pass + node.fail} passed`);
      expect({ executed: postman.executed, failed: [...postman.failures.entries()] }).toEqual({ executed: cases.length, failed: [] });
      expect({ pass: node.pass, fail: node.fail }).toEqual({ pass: cases.length, fail: 0 });
    } finally {
      await server.close();
    }
  });

  it('fails the same cases as node:test against the faulty petstore, schema faults included', async () => {
    const server = await startPetstoreServer({ faults: [...PETSTORE_FAULTS] });
    try {
      const postman = await runNewman(collection, environment, server.url);
      const node = failedTests((await runNodeTest(join(workDir, 'tests'), server.url)).output);
      console.log(`faulty petstore: newman failed ${postman.failures.size}/${postman.executed}, node:test failed ${node.size}`);
      expect(node.size).toBeGreaterThan(0);
      expect([...postman.failures.keys()].sort()).toEqual([...node.keys()].sort());
      const title = (endpoint: string) => cases.find((c) => c.endpoint === endpoint && c.kind === 'positive')!.title;
      expect(postman.failures.get(title('GET /pets'))).toMatch(/body matches the response schema: .*id.*should be integer/);
      expect(postman.failures.get(title('GET /pets/{petId}'))).toMatch(/should have required property 'name'/);
      expect(postman.failures.get(title('POST /pets'))).toMatch(/status is 201/);
    } finally {
      await server.close();
    }
  });
});
