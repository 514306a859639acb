import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { TestCase } from '@spectest/contracts';
import { readSpec, stopSpecValidator } from '@spectest/openapi';
import { buildFoundationCases } from '@spectest/cases';
import { buildArtifactFiles, zipArtifact } from '@spectest/artifact';
import { extractZip, linkDependencies, runNodeTest } from '../support/generated-suite';
import { runNewman } from '../support/newman-run';
import { RecordedRequest, startRecordingServer } from '../support/recording-server';

jest.setTimeout(60_000);

const FIXTURE = join(__dirname, '../fixtures/hostile/reserved-keys.yaml');
const TEMPLATES = join(__dirname, '../../libs/artifact/templates');
const CREDENTIALS = { AUTH_PROTO: 'key-value', AUTH_CONSTRUCTOR: 'token-value' };

/**
 * A spec whose names are JavaScript's special ones (`__proto__`, `constructor`, `prototype`, `toString`,
 * `hasOwnProperty`) or look like a generator's placeholders (`__SPECTEST_SCHEMA_0__`), as property names,
 * values, parameters, examples, tags, schema and security scheme names. Data reaches the generated files
 * only as JSON, so every file loads and both runners send exactly the requests cases.json describes:
 * the same keys, none turned into a prototype, none replaced.
 */
describe('generated suites of a spec full of reserved names', () => {
  let workDir: string;
  let cases: TestCase[];

  beforeAll(async () => {
    const spec = await readSpec(await readFile(FIXTURE));
    const generated = spec.endpoints.flatMap((endpoint) => buildFoundationCases(spec, endpoint));
    const files = buildArtifactFiles({ title: spec.title, version: spec.version, document: spec.document, cases: generated, report: { warnings: [], stageTimings: [] } });
    workDir = await mkdtemp(join(tmpdir(), 'spectest-reserved-'));
    await extractZip(await zipArtifact(files), workDir);
    await linkDependencies(join(workDir, 'tests'));
    cases = (JSON.parse(await readFile(join(workDir, 'cases.json'), 'utf8')) as { cases: TestCase[] }).cases;
  });

  afterAll(async () => {
    await stopSpecValidator();
    if (workDir) await rm(workDir, { recursive: true, force: true });
  });

  it('generates cases whose requests carry the reserved names as plain keys', () => {
    expect(new Set(cases.map((c) => c.endpoint))).toEqual(new Set(['POST /things/{__SPECTEST_SCHEMA_0__}', 'GET /things', 'PUT /things']));
    const positive = cases.find((c) => c.endpoint === 'POST /things/{__SPECTEST_SCHEMA_0__}' && c.kind === 'positive')!;
    expect(Object.keys(positive.request.body as object)).toEqual(['__proto__', 'constructor', '__SPECTEST_SCHEMA_0__', 'prototype', 'toString', 'hasOwnProperty']);
    expect(Object.keys(positive.request.query)).toEqual(expect.arrayContaining(['constructor', '__SPECTEST_SCHEMA_2__', 'filter[__proto__]', 'filter[constructor]']));
    expect(positive.request.pathParams).toEqual({ __SPECTEST_SCHEMA_0__: '__SPECTEST_SCHEMA_1__' });
  });

  it('writes node:test files that are all valid JavaScript', async () => {
    const scripts = await javascriptFiles(join(workDir, 'tests'));
    expect(scripts.filter((file) => file.endsWith('.test.js')).length).toBe(new Set(cases.map((c) => c.group)).size);
    for (const file of scripts) await promisify(execFile)(process.execPath, ['--check', file]);
  });

  it('puts nothing of the spec into code: every script is a template as it is, the data JSON beside it', async () => {
    // An object literal {"__proto__": …} sets a prototype; JSON.parse of the same text keeps the key.
    const template = (path: string) => readFile(join(TEMPLATES, path), 'utf8');
    for (const file of await javascriptFiles(join(workDir, 'tests'))) {
      const name = file.slice(join(workDir, 'tests').length + 1);
      const source = name.startsWith('support/') ? `node-test/${name}` : 'node-test/group.test.js';
      expect({ name, text: await readFile(file, 'utf8') }).toEqual({ name, text: await template(source) });
    }
    const collection = JSON.parse(await readFile(join(workDir, 'postman/collection.json'), 'utf8'));
    const scripts = [...collection.event, ...collection.item.flatMap((folder: { item: { event?: unknown[] }[] }) => folder.item.flatMap((item) => item.event ?? []))];
    expect(scripts.map((e: { listen: string; script: { exec: string[] } }) => [e.listen, e.script.exec.join('\n') + '\n'])).toEqual([
      ['prerequest', await template('postman/prerequest-script.js')],
      ['test', await template('postman/test-script.js')],
    ]);
    const group = JSON.parse(await readFile(join(workDir, 'tests/cases/__proto__.json'), 'utf8'));
    expect(Object.keys(group.cases[0].request.body)).toContain('__proto__');
  });

  it('runs every case in node:test, sending exactly the requests of cases.json', async () => {
    const server = await startRecordingServer();
    try {
      const run = await runNodeTest(join(workDir, 'tests'), server.url, [], CREDENTIALS);
      // A file that does not load counts as one failed test, whatever the number of its cases.
      expect(run.pass + run.fail).toBe(cases.length);
      expect(run.output).not.toMatch(/SyntaxError|ReferenceError|TypeError/);
      expect(wireForms(server.requests, cases)).toEqual(expectedWireForms(cases));
    } finally {
      await server.close();
    }
  });

  it('runs every case in newman, sending exactly the requests of cases.json', async () => {
    const collection = JSON.parse(await readFile(join(workDir, 'postman/collection.json'), 'utf8')) as unknown;
    const environment = JSON.parse(await readFile(join(workDir, 'postman/environment.json'), 'utf8')) as { values: { key: string; value: string }[] };
    for (const variable of environment.values) variable.value = CREDENTIALS[variable.key as keyof typeof CREDENTIALS] ?? variable.value;
    const server = await startRecordingServer();
    try {
      const run = await runNewman(collection, environment, server.url);
      expect(run.executed).toBe(cases.length);
      // Against a server that answers 200 `{}`, checks fail; a script that does not run is another matter.
      expect([...run.failures.values()].join('\n')).not.toMatch(/SyntaxError|ReferenceError|TypeError|script error/i);
      expect(wireForms(server.requests, cases)).toEqual(expectedWireForms(cases));
    } finally {
      await server.close();
    }
  });
});

/**
 * A request reduced to what a case decides, as one canonical JSON text: method, path and query decoded,
 * the headers the cases set (credentials and the runner's own headers left out), the media type and the body.
 */
interface WireForm {
  method: string;
  path: string;
  query: [string, string][];
  headers: [string, string][];
  mediaType: string | null;
  body: unknown;
}

function expectedWireForms(cases: TestCase[]): string[] {
  return cases
    .map((testCase) => {
      const { request } = testCase;
      let path = request.path;
      for (const [name, value] of Object.entries(request.pathParams)) path = path.split(`{${name}}`).join(String(value));
      const form: WireForm = {
        method: request.method.toUpperCase(),
        path,
        query: Object.entries(request.query).flatMap(([name, value]) => (Array.isArray(value) ? value : [value]).map((item): [string, string] => [name, String(item)])),
        headers: Object.entries(request.headers).map(([name, value]): [string, string] => [name.toLowerCase(), value]).sort(byFirst),
        mediaType: request.body === undefined ? null : mediaType(request.contentType ?? 'application/json'),
        body: request.body === undefined ? null : bodyForm(mediaType(request.contentType ?? 'application/json'), request.body),
      };
      return canonical(form);
    })
    .sort();
}

function wireForms(requests: RecordedRequest[], cases: TestCase[]): string[] {
  const caseHeaders = new Set(cases.flatMap((c) => Object.keys(c.request.headers).map((name) => name.toLowerCase())));
  return requests
    .map((request) => {
      const [rawPath, rawQuery = ''] = request.url.split('?');
      const type = request.body === '' ? null : mediaType(request.headers['content-type'] ?? '');
      const form: WireForm = {
        method: request.method,
        path: decodeURIComponent(rawPath),
        query: rawQuery === '' ? [] : rawQuery.split('&').map((pair): [string, string] => {
          const at = pair.indexOf('=');
          return [decodeURIComponent(pair.slice(0, at)), decodeURIComponent(pair.slice(at + 1))];
        }),
        headers: Object.keys(request.headers).filter((name) => caseHeaders.has(name)).map((name): [string, string] => [name, request.headers[name]]).sort(byFirst),
        mediaType: type,
        body: type === null ? null : type === 'application/json' ? bodyForm(type, JSON.parse(request.body)) : bodyForm(type, request.body),
      };
      return canonical(form);
    })
    .sort();
}

/** JSON bodies as values; form bodies as their fields in order (objects inside sent as JSON text, as the runners do). */
function bodyForm(type: string, body: unknown): unknown {
  if (type !== 'application/x-www-form-urlencoded') return body;
  if (typeof body === 'string') return [...new URLSearchParams(body)];
  return Object.entries(body as Record<string, unknown>).map(([key, value]) => [key, value !== null && typeof value === 'object' ? JSON.stringify(value) : String(value)]);
}

function mediaType(contentType: string): string {
  return contentType.split(';')[0].trim().toLowerCase();
}

/** JSON with object keys sorted, written directly: rebuilding the objects would turn a "__proto__" key into a prototype. */
function canonical(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonical).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const keys = Object.keys(value).sort();
    return `{${keys.map((key) => `${JSON.stringify(key)}:${canonical((value as Record<string, unknown>)[key])}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

function byFirst(a: [string, string], b: [string, string]): number {
  return a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0;
}

async function javascriptFiles(dir: string): Promise<string[]> {
  const entries = await readdir(dir, { withFileTypes: true, recursive: true });
  return entries.filter((e) => e.isFile() && e.name.endsWith('.js') && !e.parentPath.includes('node_modules')).map((e) => join(e.parentPath, e.name));
}
