import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestCase } from '@spectest/contracts';
import { readSpec, stopSpecValidator } from '@spectest/openapi';
import { buildFoundationCases } from '@spectest/cases';
import { buildArtifactFiles, zipArtifact } from '@spectest/artifact';
import { extractZip, failedTests, linkDependencies, runNodeTest } from '../support/generated-suite';
import { runNewman } from '../support/newman-run';

jest.setTimeout(60_000);

const Pet = { type: 'object', required: ['id', 'name'], properties: { id: { type: 'integer' }, name: { type: 'string' } } };
const Job = { type: 'object', required: ['jobId'], properties: { jobId: { type: 'string' } } };

/** POST /pets answers 201 with the pet (JSON or XML), or 202 with a job for a form body. */
const SPEC = {
  openapi: '3.0.3',
  info: { title: 'Shelter', version: '1' },
  paths: {
    '/pets': {
      post: {
        operationId: 'createPet',
        requestBody: {
          required: true,
          content: {
            'application/json': { schema: Pet, examples: { cat: { value: { id: 1, name: 'Tom' } }, dog: { value: { id: 2, name: 'Rex' } } } },
            'application/x-www-form-urlencoded': { schema: Pet },
          },
        },
        responses: {
          '201': { description: 'created', content: { 'application/json': { schema: Pet }, 'application/xml': { schema: Pet } } },
          '202': { description: 'queued', content: { 'application/json': { schema: Job } } },
        },
      },
    },
  },
};

type Fault = 'none' | 'job_body_with_201' | 'undocumented_200';

/** A shelter that keeps the spec, or breaks it in one way for every request. */
async function startShelter(fault: Fault): Promise<{ url: string; close(): Promise<void> }> {
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const form = (req.headers['content-type'] ?? '').startsWith('application/x-www-form-urlencoded');
      if (fault === 'undocumented_200') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"id":1,"name":"Tom"}');
      if (form || fault === 'job_body_with_201') {
        return void res.writeHead(form ? 202 : 201, { 'content-type': 'application/json' }).end('{"jobId":"j-1"}');
      }
      if (req.headers.accept === 'application/xml') return void res.writeHead(201, { 'content-type': 'application/xml' }).end('<pet><id>1</id></pet>');
      res.writeHead(201, { 'content-type': 'application/json' }).end('{"id":1,"name":"Tom"}');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

/**
 * An operation with two documented 2xx: each positive case accepts either status and checks the body
 * against the schema of the one returned, in node:test and in newman alike.
 */
describe('positive cases of an operation with several documented success answers', () => {
  let workDir: string;
  let positives: TestCase[];
  let collection: unknown;
  let environment: unknown;

  beforeAll(async () => {
    const spec = await readSpec(SPEC);
    positives = buildFoundationCases(spec, spec.endpoints[0]).filter((c) => c.kind === 'positive');
    const files = buildArtifactFiles({ title: spec.title, version: spec.version, document: spec.document, cases: positives, report: { warnings: [], stageTimings: [] } });
    workDir = await mkdtemp(join(tmpdir(), 'spectest-success-'));
    await extractZip(await zipArtifact(files), workDir);
    await linkDependencies(join(workDir, 'tests'));
    collection = JSON.parse(await readFile(join(workDir, 'postman/collection.json'), 'utf8'));
    environment = JSON.parse(await readFile(join(workDir, 'postman/environment.json'), 'utf8'));
  });

  afterAll(async () => {
    stopSpecValidator();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  async function runBoth(fault: Fault) {
    const server = await startShelter(fault);
    try {
      const node = await runNodeTest(join(workDir, 'tests'), server.url);
      const newman = await runNewman(collection, environment, server.url);
      return { node: failedTests(node.output), newman: newman.failures, executed: newman.executed, pass: node.pass };
    } finally {
      await server.close();
    }
  }

  it('passes on a server that answers 201 to JSON, 202 to a form and XML when asked', async () => {
    expect(positives.map((c) => c.id.split('.').slice(1).join('.'))).toEqual([
      'positive',
      'positive.201.application-xml',
      'positive.202',
      'positive.example.dog',
      'positive.request.application-x-www-form-urlencoded',
    ]);
    const run = await runBoth('none');
    expect({ node: [...run.node.keys()], newman: [...run.newman.keys()] }).toEqual({ node: [], newman: [] });
    expect(run.pass).toBe(positives.length);
    expect(run.executed).toBe(positives.length);
  });

  it('fails a 201 whose body is the 202 schema (checked against the status returned), in both runners', async () => {
    const run = await runBoth('job_body_with_201');
    const json = positives.filter((c) => c.request.contentType === 'application/json' && c.expect.responseSchema !== null);
    expect([...run.node.keys()].sort()).toEqual(json.map((c) => c.title).sort());
    for (const title of run.node.keys()) expect(run.node.get(title)).toContain("(body) must have required property 'name'");
    expect([...run.newman.keys()].sort()).toEqual([...run.node.keys()].sort());
  });

  it('fails every case on an undocumented 200, naming the documented statuses', async () => {
    const run = await runBoth('undocumented_200');
    expect([...run.node.keys()].sort()).toEqual(positives.map((c) => c.title).sort());
    for (const detail of run.node.values()) expect(detail).toContain('Expected one of status 201, 202, got 200');
    expect([...run.newman.keys()].sort()).toEqual([...run.node.keys()].sort());
    for (const detail of run.newman.values()) expect(detail).toContain('status is one of 201, 202');
  });
});
