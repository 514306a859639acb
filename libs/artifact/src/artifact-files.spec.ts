import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { readFile } from 'node:fs/promises';
import Ajv2020 from 'ajv/dist/2020';
import { CASE_KINDS, ParsedSpec, TestCase } from '@spectest/contracts';
import { createHash } from 'node:crypto';
import { readSpec, stopSpecValidator } from '@spectest/openapi';
import { buildFoundationCases } from '@spectest/cases';
import { ArtifactEntry, ArtifactInput, ZipProgress, artifactEntries, buildArtifactFiles, entryText, zipArtifact, zipArtifactStream } from './index';
import { nodeTestProjectFiles } from './node-test-project';
import { postmanCollection, postmanCollectionText } from './postman-collection';
import { utf8Chunks } from './zip-artifact';
import { templateLines, templateText } from './template-assets';
import { readZipEntries } from '../../../tests/support/generated-suite';
import { casesJsonText } from './artifact-files';
import { markMockJudgement } from '@spectest/cases';

jest.setTimeout(30_000);
afterAll(() => stopSpecValidator());

const FIXTURES = join(__dirname, '../../../tests/fixtures');

describe('artifact files and ZIP', () => {
  let spec: ParsedSpec;
  let input: ArtifactInput;

  beforeAll(async () => {
    spec = await readSpec(await readFile(join(FIXTURES, 'bookstore.openapi31.yaml')));
    const cases: TestCase[] = spec.endpoints.flatMap((e) => buildFoundationCases(spec, e));
    input = {
      title: spec.title,
      version: spec.version,
      document: spec.document,
      cases,
      report: {
        warnings: ['AI enhancement failed for GET /books; kept the foundation cases'],
        stageTimings: [
          { stage: 'parsing', durationMs: 120 },
          { stage: 'foundation', durationMs: 8 },
        ],
        model: 'llama3.1:8b',
        tokens: { prompt: 45, completion: 230, total: 275 },
      },
    };
  });

  it('lists files sorted by path, one test file per group, both formats by default', () => {
    const paths = buildArtifactFiles(input).map((f) => f.path);
    expect(paths).toEqual([...paths].sort());
    expect(paths).toEqual(
      expect.arrayContaining([
        'README.md',
        'REPORT.md',
        'cases.json',
        'cases.schema.json',
        'openapi.json',
        'postman/collection.json',
        'postman/environment.json',
        'tests/README.md',
        'tests/package.json',
        'tests/support/run-case.js',
        'tests/support/check-response.js',
        'tests/support/url-encoding.js',
        'tests/support/schemas.json',
        'tests/support/security.json',
        'tests/books.test.js',
        'tests/cases/books.json',
        'tests/health.test.js',
        'tests/cases/health.json',
      ]),
    );
    const groups = new Set(input.cases.map((c) => c.group));
    expect(paths.filter((p) => p.endsWith('.test.js'))).toHaveLength(groups.size);
    expect(paths.filter((p) => p.startsWith('tests/cases/'))).toHaveLength(groups.size);
  });

  it('writes a node:test project that installs ajv, has a JUnit script and names auth variables after the schemes', () => {
    const document = {
      ...(spec.document as Record<string, unknown>),
      components: {
        securitySchemes: {
          api_key: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
          bearerAuth: { type: 'http', scheme: 'bearer' },
          basic: { type: 'http', scheme: 'basic' },
        },
      },
    };
    const files = Object.fromEntries(buildArtifactFiles({ ...input, document }).map((f) => [f.path, f.content]));
    const pkg = JSON.parse(files['tests/package.json']);
    expect(Object.keys(pkg.dependencies).sort()).toEqual(['ajv', 'ajv-formats']);
    expect(pkg.scripts.test).toBe('node --test');
    expect(pkg.scripts['test:junit']).toContain('--test-reporter=junit');
    expect(JSON.parse(files['tests/support/security.json'])).toEqual({
      api_key: expect.objectContaining({ envVar: 'AUTH_API_KEY', apply: 'header', name: 'X-API-Key' }),
      basic: expect.objectContaining({ envVar: 'AUTH_BASIC', apply: 'basic' }),
      bearerAuth: expect.objectContaining({ envVar: 'AUTH_BEARER_AUTH', apply: 'bearer' }),
    });
    expect(files['tests/README.md']).toContain('`AUTH_API_KEY`');
    expect(files['tests/README.md']).toContain('--test-reporter=junit');
    // A group's data holds its cases and each of their response schemas once, named by content.
    const group = JSON.parse(files['tests/cases/books.json']) as { group: string; caseCount: number; cases: any[]; schemas: Record<string, unknown> };
    const books = input.cases.filter((c) => c.group === 'books');
    expect(group).toEqual(expect.objectContaining({ group: 'books', caseCount: books.length }));
    expect(group.cases.map((c) => c.id)).toEqual(books.map((c) => c.id));
    const named = group.cases.flatMap((c) => [c.expect.responseSchema, ...Object.values(c.expect.responses ?? {})]).filter((n) => n !== null);
    expect(named.length).toBeGreaterThan(0);
    expect(Object.keys(group.schemas).sort()).toEqual([...new Set(named)].sort());
    for (const name of Object.keys(group.schemas)) expect(name).toMatch(/^S[0-9a-f]{12}$/);
    expect(new Set(Object.values(group.schemas).map((schema) => JSON.stringify(schema))).size).toBe(Object.keys(group.schemas).length);
  });

  it('includes only the formats asked for', () => {
    const nodeOnly = buildArtifactFiles({ ...input, formats: ['node-test'] }).map((f) => f.path);
    expect(nodeOnly).not.toContain('postman/collection.json');
    expect(nodeOnly).toContain('tests/package.json');
    const postmanOnly = buildArtifactFiles({ ...input, formats: ['postman'] }).map((f) => f.path);
    expect(postmanOnly.some((p) => p.startsWith('tests/'))).toBe(false);
    expect(postmanOnly).toContain('postman/collection.json');
  });

  it('writes a Postman v2.1 collection: folders per group, {{baseUrl}}, one check script, an expectation per request', () => {
    const file = buildArtifactFiles(input).find((f) => f.path === 'postman/collection.json')!;
    const collection = JSON.parse(file.content);
    expect(collection.info.schema).toBe('https://schema.getpostman.com/json/collection/v2.1.0/collection.json');
    expect(collection.variable.map((v: any) => v.key).slice(0, 2)).toEqual(['baseUrl', 'spectest.expectations']);
    // Response schemas are collection variables, each once, referenced by the expectations.
    const schemaVariables = collection.variable.filter((v: any) => v.key.startsWith('spectest.schema.'));
    expect(schemaVariables.length).toBeGreaterThan(0);
    expect(new Set(schemaVariables.map((v: any) => v.value)).size).toBe(schemaVariables.length);
    for (const v of schemaVariables) expect(v.key).toMatch(/^spectest\.schema\.[0-9a-f]{12}$/);
    const expectations = JSON.parse(collection.variable[1].value);
    const requests = collection.item.flatMap((folder: any) => folder.item);
    expect(requests).toHaveLength(input.cases.length);
    expect(new Set(requests.map((r: any) => r.id)).size).toBe(requests.length);
    for (const request of requests) {
      expect(request.request.url.raw.startsWith('{{baseUrl}}/')).toBe(true);
      const testCase = input.cases.find((c) => c.title === request.name)!;
      expect(expectations[request.id]).toEqual(
        expect.objectContaining({ status: testCase.expect.status, statusClass: testCase.expect.statusClass }),
      );
      if (expectations[request.id].schema) expect(schemaVariables.map((v: any) => v.key)).toContain(expectations[request.id].schema);
    }
    // The scripts are the templates, line for line; the schemas they refer to are data in a variable.
    expect(requests.filter((r: any) => r.event !== undefined)).toEqual([]);
    expect(collection.event).toContainEqual({ listen: 'test', script: { type: 'text/javascript', exec: templateLines('postman/test-script.js') } });
    const shared = JSON.parse(collection.variable.find((v: any) => v.key === 'spectest.sharedSchemas').value);
    expect(shared.$id).toBe('spectest-schemas.json');
  });

  it('writes a Postman environment with baseUrl and one secret AUTH_ variable per scheme, and auth scripts', () => {
    const document = {
      ...(spec.document as Record<string, unknown>),
      security: [{ api_key: [] }],
      components: { securitySchemes: { api_key: { type: 'apiKey', in: 'header', name: 'X-API-Key' } } },
    };
    const files = Object.fromEntries(buildArtifactFiles({ ...input, document }).map((f) => [f.path, f.content]));
    const environment = JSON.parse(files['postman/environment.json']);
    expect(environment.values).toEqual([
      { key: 'baseUrl', value: 'http://localhost:8080', type: 'default', enabled: true },
      { key: 'AUTH_API_KEY', value: '', type: 'secret', enabled: true },
    ]);
    // One pre-request script for the collection; each request's requirements and the schemes are data.
    const collection = JSON.parse(files['postman/collection.json']);
    const requests = collection.item.flatMap((folder: any) => folder.item);
    expect(collection.event.map((e: any) => e.listen)).toEqual(['prerequest', 'test']);
    expect(collection.event[0].script.exec).toEqual(templateLines('postman/prerequest-script.js'));
    const auth = JSON.parse(collection.variable.find((v: any) => v.key === 'spectest.auth').value);
    expect(auth.schemes).toEqual({ api_key: { envVar: 'AUTH_API_KEY', apply: 'header', name: 'X-API-Key' } });
    // Requests take the document's requirement, except public operations and the cases that test a request without credentials.
    const ids = new Map(requests.map((r: any) => [r.name, r.id]));
    expect(Object.keys(auth.requirements).length).toBeGreaterThan(0);
    for (const [id, requirements] of Object.entries(auth.requirements)) expect([[...ids.values()].includes(id), requirements]).toEqual([true, [['api_key']]]);
    const withoutCredentials = input.cases.filter((c) => c.request.security?.length === 0);
    expect(withoutCredentials.length).toBeGreaterThan(0);
    for (const testCase of withoutCredentials) expect(auth.requirements[ids.get(testCase.title) as string]).toBeUndefined();
  });

  it('writes cases.schema.json, the JSON Schema of cases.json, and cases.json conforms to it', () => {
    const files = Object.fromEntries(buildArtifactFiles(input).map((f) => [f.path, f.content]));
    const schema = JSON.parse(files['cases.schema.json']);
    expect(schema.$schema).toBe('https://json-schema.org/draft/2020-12/schema');
    const validate = new Ajv2020({ strict: false }).compile(schema);
    const casesFile = JSON.parse(files['cases.json']);
    expect(casesFile.$schema).toBe('./cases.schema.json');
    expect(validate(casesFile)).toBe(true);
    expect(validate({ ...casesFile, cases: [{ ...casesFile.cases[0], kind: 'nonsense' }] })).toBe(false);
  });

  it('writes cases.json, openapi.json and a REPORT.md with counts, warnings, timings, model and tokens', () => {
    const files = Object.fromEntries(buildArtifactFiles(input).map((f) => [f.path, f.content]));
    // cases.json carries every case as given, plus whether a request-validating mock can judge it.
    const written = JSON.parse(files['cases.json']).cases as TestCase[];
    expect(written.every((testCase) => typeof testCase.mockJudgement?.judgeable === 'boolean')).toBe(true);
    expect(written.map(({ mockJudgement: _judgement, ...testCase }) => testCase)).toEqual(input.cases);
    expect(JSON.parse(files['openapi.json'])).toEqual(spec.document);
    const report = files['REPORT.md'];
    expect(report).toContain(`Cases: ${input.cases.length}`);
    // One row per operation: the count of each kind in CASE_KINDS order, then the total.
    const postBooks = input.cases.filter((c) => c.endpoint === 'POST /books');
    const cells = CASE_KINDS.map((kind) => postBooks.filter((c) => c.kind === kind).length);
    expect(cells[0]).toBe(1);
    expect(report).toContain(`| POST /books | ${cells.join(' | ')} | ${postBooks.length} |`);
    expect(report).toContain('AI enhancement failed for GET /books');
    expect(report).toContain('| parsing | 120 |');
    expect(report).toContain('llama3.1:8b');
    expect(report).toContain('Tokens: 275 (prompt 45, completion 230)');
    expect(report).not.toContain('ETA error');
    const withEta = buildArtifactFiles({ ...input, report: { ...input.report, etaError: { at25: 1200.4, at50: 300, at75: null, meanAbs: 750 } } });
    expect(withEta.find((f) => f.path === 'REPORT.md')?.content).toContain(
      'ETA error at 25% / 50% / 75% of the enhancing stage: 1200 ms / 300 ms / n/a (mean absolute 750 ms)',
    );
  });

  it('gives byte-identical ZIPs for the same input, and different ones for different input', async () => {
    const first = await zipArtifact(buildArtifactFiles(input));
    const second = await zipArtifact(buildArtifactFiles(structuredClone(input)));
    expect(first.equals(second)).toBe(true);
    const reordered = await zipArtifact([...buildArtifactFiles(input)].reverse());
    expect(reordered.equals(first)).toBe(true);
    const other = await zipArtifact(buildArtifactFiles({ ...input, version: '9.9.9' }));
    expect(other.equals(first)).toBe(false);
    expect([...(await readZipEntries(first)).keys()]).toEqual(buildArtifactFiles(input).map((f) => f.path));
  });

  it('reports ZIP progress per file written, ending at every file and the ZIP size', async () => {
    const files = buildArtifactFiles(input);
    const seen: ZipProgress[] = [];
    const zip = await zipArtifact(files, (p) => seen.push(p));
    expect(seen.map((p) => p.filesWritten)).toEqual([...files.map((_f, i) => i + 1), files.length]);
    expect(seen.every((p) => p.totalFiles === files.length)).toBe(true);
    expect(seen.map((p) => p.bytes)).toEqual([...seen.map((p) => p.bytes)].sort((a, b) => a - b));
    expect(seen.at(-1)!.bytes).toBe(zip.length);
    expect(zip.equals(await zipArtifact(files))).toBe(true);
  });

  it('zips big files in slices without splitting a character across two slices', async () => {
    // The high surrogate of the emoji is the last char of the first 1 MiB slice.
    const content = 'a'.repeat((1 << 20) - 1) + '😀é' + 'b'.repeat(1000);
    const zip = await zipArtifact([{ path: 'big.txt', content }]);
    expect((await readZipEntries(zip)).get('big.txt')?.toString('utf8')).toBe(content);
  });

  it('produces each entry only when the ZIP reaches it, with the texts an eager build gives', async () => {
    const entries = artifactEntries(input);
    const produced: string[] = [];
    const watched: ArtifactEntry[] = entries.map((e) => ({ path: e.path, content: () => (produced.push(e.path), e.content()) }));
    expect(produced).toEqual([]);
    const zip = await zipArtifact(watched);
    expect(produced).toEqual(entries.map((e) => e.path));
    // What the ZIP gets, piece by piece.
    const pieces = (e: ArtifactEntry) => {
      const content = e.content();
      return typeof content === 'string' ? content : [...content].join('');
    };
    const texts = new Map(entries.map((e) => [e.path, pieces(e)]));
    // Built one group at a time, the node:test project is what the one-pass builder gives for all cases.
    for (const file of nodeTestProjectFiles(input.title, input.version, input.cases, input.document)) expect(texts.get(file.path)).toBe(file.content);
    // JSON files are produced in pieces (json-ext); their text is JSON.stringify's, byte for byte.
    for (const entry of entries) expect({ path: entry.path, text: texts.get(entry.path) }).toEqual({ path: entry.path, text: entryText(entry) });
    const pretty = (v: unknown) => JSON.stringify(v, null, 2) + '\n';
    expect(texts.get('openapi.json')).toBe(pretty(input.document));
    expect(texts.get('postman/collection.json')).toBe(pretty(postmanCollection(input.title, input.version, input.cases, input.document)));
    expect(zip.equals(await zipArtifact(buildArtifactFiles(input)))).toBe(true);
  });

  it('streams the same bytes as the buffered ZIP, at the pace of its reader', async () => {
    const stream = zipArtifactStream(artifactEntries(input));
    const hash = createHash('sha256');
    let chunks = 0;
    for await (const chunk of stream) {
      hash.update(chunk as Buffer);
      chunks++;
      await new Promise((r) => setImmediate(r));
    }
    expect(chunks).toBeGreaterThan(1);
    expect(hash.digest('hex')).toBe(createHash('sha256').update(await zipArtifact(artifactEntries(input))).digest('hex'));
  });

  it('writes the Postman collection item by item, the text of JSON.stringify on the whole object', () => {
    const pretty = (v: unknown) => JSON.stringify(v, null, 2);
    const odd = input.cases.map((c, i) => ({ ...c, group: i % 3 === 0 ? 'ünïcode 😀 "quoted"' : c.group, title: `${c.title} \u2028 ${i}` }));
    for (const cases of [input.cases, odd, [input.cases[0]], []]) {
      const pieces = [...postmanCollectionText(input.title, input.version, cases, input.document)];
      expect(pieces.join('')).toBe(pretty(postmanCollection(input.title, input.version, cases, input.document)));
      // One piece per request at least: no piece holds the items of the whole collection.
      expect(pieces.length).toBeGreaterThan(cases.length);
    }
  });

  it('writes cases.json case by case, the text of JSON.stringify on every case marked at once', () => {
    const pretty = (v: unknown) => JSON.stringify(v, null, 2) + '\n';
    const odd = input.cases.map((c, i) => ({ ...c, title: `${c.title} \u2028 "quoted" 😀 ${i}`, group: i % 2 ? 'ünïcode\nline' : c.group }));
    // Repeated until the text passes one piece's size, so the pieces are cut in several places.
    const many = Array.from({ length: 8 }, () => input.cases).flat();
    for (const cases of [input.cases, odd, many, [input.cases[0]], []]) {
      const pieces = [...casesJsonText('Odd "title" ✓', 'v\t1', cases, input.document)];
      const whole = { $schema: './cases.schema.json', title: 'Odd "title" ✓', version: 'v\t1', caseCount: cases.length, cases: markMockJudgement(cases, input.document) };
      expect(pieces.join('')).toBe(pretty(whole));
      if (cases === many) expect(pieces.length).toBeGreaterThan(1);
    }
    const entry = artifactEntries(input).find((e) => e.path === 'cases.json')!;
    expect(entryText(entry)).toBe(pretty({ $schema: './cases.schema.json', title: input.title, version: input.version, caseCount: input.cases.length, cases: markMockJudgement(input.cases, input.document) }));
  });

  it('zips the streamed files into the bytes of the whole-text ZIP, for several groups, odd names and no cases', async () => {
    const sha = (zip: Buffer) => createHash('sha256').update(zip).digest('hex');
    const streamed = async (i: ArtifactInput) => {
      const hash = createHash('sha256');
      for await (const chunk of zipArtifactStream(artifactEntries(i))) hash.update(chunk as Buffer);
      return hash.digest('hex');
    };
    const odd = input.cases.map((c, i) => ({ ...c, group: `g${i % 7} ✓`, title: `${c.title} 😀` }));
    for (const variant of [input, { ...input, cases: odd }, { ...input, cases: [] }, { ...input, formats: ['postman' as const] }]) {
      expect(await streamed(variant)).toBe(sha(await zipArtifact(buildArtifactFiles(variant))));
    }
    // The node:test files: one template per group and its data, whose text is JSON.stringify's of the whole.
    const oddEntries = artifactEntries({ ...input, cases: odd });
    const testEntries = oddEntries.filter((e) => e.path.endsWith('.test.js'));
    expect(testEntries).toHaveLength(7);
    for (const entry of testEntries) expect(entry.content()).toBe(templateText('node-test/group.test.js'));
    const dataEntries = oddEntries.filter((e) => e.path.startsWith('tests/cases/'));
    expect(dataEntries.map((e) => e.path)).toEqual(testEntries.map((e) => e.path.replace(/^tests\/(.*)\.test\.js$/, 'tests/cases/$1.json')));
    for (const entry of dataEntries) expect([...(entry.content() as Iterable<string>)].join('')).toBe(entryText(entry));
    expect(texts(artifactEntries({ ...input, cases: [] })).get('tests/README.md')).toContain('0 test cases');
  });

  it('ends the stream with the error of an entry that cannot be produced', async () => {
    const broken: ArtifactEntry = { path: 'b.txt', content: () => { throw new Error('no text for b.txt'); } };
    const stream = zipArtifactStream([{ path: 'a.txt', content: 'a' }, broken, { path: 'c.txt', content: 'c' }]);
    await expect((async () => { for await (const _chunk of stream) { /* drain */ } })()).rejects.toThrow('no text for b.txt');
  });

  it('gathers small pieces into few slices with the bytes of the whole text', () => {
    const pieces = Array.from({ length: 50_000 }, (_, i) => (i % 2 === 0 ? `piece ${i} é\ud83d` : '\ude00'));
    const chunks = [...utf8Chunks(pieces)];
    expect(Buffer.concat(chunks).equals(Buffer.from(pieces.join(''), 'utf8'))).toBe(true);
    expect(chunks.length).toBeLessThan(10);
  });

  it('encodes pieces as the whole text would be, even with a surrogate pair across two pieces', () => {
    const text = 'x😀y' + 'é'.repeat(10) + '😀';
    const pieces = ['x\ud83d', '\ude00y' + 'é'.repeat(10) + '\ud83d', '\ude00'];
    expect(pieces.join('')).toBe(text);
    expect(Buffer.concat([...utf8Chunks(pieces)]).equals(Buffer.from(text, 'utf8'))).toBe(true);
    expect(Buffer.concat([...utf8Chunks(['a\ud83d'])]).equals(Buffer.from('a\ud83d', 'utf8'))).toBe(true);
  });

  it('keeps generated code valid when spec text tries to break out of it', async () => {
    const hostileCase: TestCase = {
      ...input.cases[0],
      title: "x');\nrequire('child_process').execSync('touch /tmp/pwned'); //",
      group: '../../evil',
      reason: '*/ process.exit(0) /*',
    };
    const files = buildArtifactFiles({ ...input, title: 'T\nprocess.exit(3)', cases: [hostileCase] });
    const testFile = files.find((f) => f.path.endsWith('.test.js'))!;
    expect(testFile.path).toBe('tests/evil.test.js');
    // The code is the template; the spec's text is data, and comes back from it as it was.
    expect(testFile.content).toBe(templateText('node-test/group.test.js'));
    const data = JSON.parse(files.find((f) => f.path === 'tests/cases/evil.json')!.content);
    expect([data.cases[0].title, data.cases[0].reason, data.title]).toEqual([hostileCase.title, hostileCase.reason, 'T\nprocess.exit(3)']);
    const dir = await mkdtemp(join(tmpdir(), 'spectest-syntax-'));
    try {
      await writeFile(join(dir, 'check.js'), testFile.content);
      await new Promise<void>((resolve, reject) =>
        execFile(process.execPath, ['--check', join(dir, 'check.js')], (error) => (error ? reject(error) : resolve())),
      );
      expect(testFile.content).not.toMatch(/^process\.exit/m);
      expect(testFile.content).not.toMatch(/^require\('child_process'\)/m);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

function texts(entries: ArtifactEntry[]): Map<string, string> {
  return new Map(entries.map((e) => [e.path, entryText(e)]));
}
