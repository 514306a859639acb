import { createHash } from 'node:crypto';
import { TestCase } from '@spectest/contracts';
import { stringifyChunked } from '@discoveryjs/json-ext';
import { ArtifactEntry, ArtifactFile } from './artifact.types';
import { groupFileName, oneLine, packageName } from './text-safety';
import { RUN_CASE_SOURCE } from './node-test-runtime';
import { CHECK_RESPONSE_SOURCE } from './schema-check-runtime';
import { SecurityConfig, caseSecurity, securityConfig } from './security-config';
import { SharedSchemas } from './response-schema';

/** Versions the generated project installs; fixed ranges so the same input gives the same package.json. */
export const GENERATED_DEPENDENCIES = { ajv: '^8.17.1', 'ajv-formats': '^3.0.1' } as const;

/**
 * tests/: a node:test project in plain JavaScript, one file per endpoint group, runnable with `npm install && npm test`.
 * One entry per file, each made only when the ZIP reaches it: the support files (package.json, the README with
 * the case count, the runtime, security.json, schemas.json in pieces) and one test file per group, built from
 * that group's cases alone. `text` gives each file whole, the way it was built before it was streamed.
 */
export function nodeTestProjectEntries(title: string, version: string, cases: TestCase[], document: unknown): ArtifactEntry[] {
  let security: SecurityConfig | null = null;
  const scheme = () => (security ??= securityConfig(document));
  const whole = (path: string, text: () => string): ArtifactEntry => ({ path, content: text, text });
  const entries: ArtifactEntry[] = [
    whole('tests/package.json', () => packageJson(title, version)),
    whole('tests/README.md', () => readme(title, version, cases, scheme())),
    whole('tests/support/run-case.js', () => RUN_CASE_SOURCE),
    whole('tests/support/check-response.js', () => CHECK_RESPONSE_SOURCE),
    whole('tests/support/security.json', () => JSON.stringify(scheme(), null, 2) + '\n'),
    {
      path: 'tests/support/schemas.json',
      content: function* () {
        yield* stringifyChunked(sharedSchemas(cases, document), { space: 2, highWaterMark: 256 * 1024 });
        yield '\n';
      },
      text: () => JSON.stringify(sharedSchemas(cases, document), null, 2) + '\n',
    },
  ];
  for (const [group, groupCases] of byGroup(cases)) {
    entries.push({
      path: `tests/${group}.test.js`,
      content: () => groupTestFile(title, version, group, groupCases, document),
      text: () => groupTestFile(title, version, group, groupCases, document).join(''),
    });
  }
  return entries;
}

/** Every file of the project with its whole text (tests, small inputs). */
export function nodeTestProjectFiles(title: string, version: string, cases: TestCase[], document: unknown): ArtifactFile[] {
  return nodeTestProjectEntries(title, version, cases, document).map((entry) => ({ path: entry.path, content: entry.text!() }));
}

/** Every schema the response schemas of `cases` refer to, once, as JSON Schema (see SharedSchemas). */
function sharedSchemas(cases: TestCase[], document: unknown): unknown {
  const shared = new SharedSchemas(document);
  for (const testCase of cases) {
    shared.convert(testCase.expect.responseSchema);
    for (const schema of Object.values(testCase.expect.responses ?? {})) shared.convert(schema);
  }
  return shared.shared();
}

export function byGroup(cases: TestCase[]): Map<string, TestCase[]> {
  const groups = new Map<string, TestCase[]>();
  for (const testCase of cases) {
    const group = groupFileName(testCase.group);
    let list = groups.get(group);
    if (!list) groups.set(group, (list = []));
    list.push(testCase);
  }
  return new Map([...groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
}

/** The test file of one group, in pieces: the header with its schemas, then one piece per test. */
function groupTestFile(title: string, version: string, group: string, cases: TestCase[], document: unknown): string[] {
  // Response schemas repeat across the cases of an operation: each is written once per file, named by content.
  // Their references point into support/schemas.json, which holds each referenced schema once for the project.
  const shared = new SharedSchemas(document, false);
  const responseJsonSchema = (schema: unknown) => shared.convert(schema);
  const schemas = new Map<string, { name: string; json: string }>();
  const schemaRef = (schema: unknown): string => {
    if (schema === null || schema === undefined) return 'null';
    const json = JSON.stringify(schema);
    let entry = schemas.get(json);
    if (!entry) {
      entry = { name: `S${createHash('sha256').update(json).digest('hex').slice(0, 12)}`, json };
      schemas.set(json, entry);
    }
    return `SCHEMAS.${entry.name}`;
  };
  const tests = cases.map((testCase) => {
    const { security: _ownSecurity, ...request } = testCase.request;
    // Schemas are referenced by name: placeholders here, replaced in the literal below.
    const refs = [schemaRef(responseJsonSchema(testCase.expect.responseSchema))];
    const placeholder = (schema: unknown) => `__SPECTEST_SCHEMA_${refs.push(schemaRef(responseJsonSchema(schema))) - 1}__`;
    const responses = testCase.expect.responses
      ? Object.fromEntries(Object.entries(testCase.expect.responses).map(([status, schema]) => [status, placeholder(schema)]))
      : undefined;
    const runnable = {
      id: testCase.id,
      reason: testCase.reason,
      request,
      security: caseSecurity(document, testCase),
      // A case that sets `security: []` tests the refusal of a request without credentials: no AUTH_TOKEN either.
      ...(testCase.request.security?.length === 0 ? { withoutCredentials: true } : {}),
      expect: {
        status: testCase.expect.status,
        statusClass: testCase.expect.statusClass,
        responseSchema: '__SPECTEST_SCHEMA_0__',
        ...(responses ? { responses } : {}),
      },
    };
    const literal = indent(JSON.stringify(runnable, null, 2)).replace(/"__SPECTEST_SCHEMA_(\d+)__"/g, (_match, index: string) => refs[Number(index)]);
    return [`test(${JSON.stringify(testCase.title)}, async () => {`, `  await runCase(${literal});`, `});`].join('\n');
  });
  const schemaLines = [...schemas.values()]
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((s) => `  ${s.name}: ${s.json},`);
  const header = [
    `'use strict';`,
    `// Generated by spectest from ${oneLine(title)} ${oneLine(version)}: group "${oneLine(group)}", ${cases.length} case(s).`,
    `// Run from this folder with: npm install && BASE_URL=http://localhost:8080 npm test`,
    `const { test } = require('node:test');`,
    `const { runCase } = require('./support/run-case.js');`,
    ``,
    `// Response schemas of the spec (as JSON Schema), shared by the cases below; $refs point into support/schemas.json.`,
    `const SCHEMAS = {`,
    ...schemaLines,
    `};`,
    ``,
    ``,
  ].join('\n');
  // The same text as the header, the tests joined by a blank line, and a final newline.
  return [header, ...tests.map((test, i) => (i === 0 ? test : '\n\n' + test)), '\n'];
}

function indent(text: string): string {
  return text.replace(/\n/g, '\n  ');
}

function packageJson(title: string, version: string): string {
  const pkg = {
    name: packageName(title),
    version: '1.0.0',
    private: true,
    description: `API tests for ${oneLine(title)} ${oneLine(version)}, generated by spectest`,
    scripts: {
      test: 'node --test',
      'test:junit': 'node --test --test-reporter=spec --test-reporter-destination=stdout --test-reporter=junit --test-reporter-destination=junit.xml',
    },
    dependencies: { ...GENERATED_DEPENDENCIES },
    engines: { node: '>=20' },
  };
  return JSON.stringify(pkg, null, 2) + '\n';
}

function readme(title: string, version: string, cases: TestCase[], security: SecurityConfig): string {
  const schemes = Object.entries(security);
  return [
    `# API tests for ${oneLine(title)} ${oneLine(version)}`,
    '',
    `${cases.length} test cases, one \`node:test\` file per endpoint group. Plain JavaScript: no build step.`,
    'The only dependencies are ajv and ajv-formats, which check response bodies against the response schemas.',
    '',
    '## Run',
    '',
    'Node.js 20 or newer:',
    '',
    '```sh',
    'cd tests',
    'npm install',
    'BASE_URL=http://localhost:8080 npm test',
    '```',
    '',
    '`BASE_URL` is the base of the API under test, including any path prefix (e.g. `https://api.example.com/v1`).',
    '',
    '## JUnit XML for CI',
    '',
    '```sh',
    'BASE_URL=http://localhost:8080 npm run test:junit   # writes junit.xml, prints the spec reporter',
    '# or, with any reporter combination:',
    'BASE_URL=http://localhost:8080 node --test --test-reporter=junit --test-reporter-destination=results.xml',
    '```',
    '',
    '## Authentication',
    '',
    ...(schemes.length > 0
      ? [
          'One variable per security scheme of the spec. A request gets the credentials of the first security',
          'requirement of its operation whose variables are all set; unset variables send nothing.',
          '',
          '| Variable | Scheme | What to put in it |',
          '|---|---|---|',
          ...schemes.map(([name, s]) => `| \`${s.envVar}\` | ${oneLine(name).replace(/\|/g, '\\|')} | ${oneLine(s.description).replace(/\|/g, '\\|')} |`),
          '',
        ]
      : ['The spec declares no security schemes.', '']),
    'Other optional variables:',
    '',
    '- `AUTH_TOKEN`: sent as `Authorization: Bearer <token>` on every request (a scheme variable wins; not on',
    '  cases that test a request without credentials).',
    '- `EXTRA_HEADERS`: a JSON object of headers added to every request, e.g. `{"X-Api-Key":"secret"}`.',
    '- `REQUEST_TIMEOUT_MS`: per-request timeout (default 30000).',
    '',
    '## What a test checks',
    '',
    'Each test sends one request and checks the status (an exact status when the spec documents one,',
    'otherwise the class, 2xx or 4xx), then validates the response body against the schema the spec',
    'documents for it. A failing test prints the expectation that failed, why the case exists, the',
    'request (credentials redacted) and the response. `../cases.json` holds every case, machine readable.',
    '',
  ].join('\n');
}
