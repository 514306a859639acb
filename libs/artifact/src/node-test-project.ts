import { createHash } from 'node:crypto';
import { TestCase } from '@spectest/contracts';
import { stringifyChunked } from '@discoveryjs/json-ext';
import { ArtifactEntry, ArtifactFile } from './artifact.types';
import { groupFileName, oneLine, packageName } from './text-safety';
import { TemplatePath, templateText } from './template-assets';
import { prettyJsonWithArray } from './json-text';
import { SecurityConfig, caseSecurity, securityConfig } from './security-config';
import { SharedSchemas } from './response-schema';

/** Versions the generated project installs; fixed ranges so the same input gives the same package.json. */
export const GENERATED_DEPENDENCIES = { ajv: '^8.17.1', 'ajv-formats': '^3.0.1' } as const;

/**
 * tests/: a node:test project in plain JavaScript, one file per endpoint group, runnable with `npm install && npm test`.
 * The code is the templates' (templates/node-test), copied as it is; everything taken from the spec is JSON
 * data beside it: support/security.json, support/schemas.json, and per group cases/<group>.json with the
 * group's cases and response schemas, which <group>.test.js reads. One entry per file, each made only when
 * the ZIP reaches it (a group's data in pieces, a case at a time); `text` gives each file whole.
 */
export function nodeTestProjectEntries(title: string, version: string, cases: TestCase[], document: unknown): ArtifactEntry[] {
  let security: SecurityConfig | null = null;
  const scheme = () => (security ??= securityConfig(document));
  const whole = (path: string, text: () => string): ArtifactEntry => ({ path, content: text, text });
  const template = (path: string, template: TemplatePath) => whole(path, () => templateText(template));
  const entries: ArtifactEntry[] = [
    whole('tests/package.json', () => packageJson(title, version)),
    whole('tests/README.md', () => readme(title, version, cases, scheme())),
    template('tests/support/run-case.js', 'node-test/support/run-case.js'),
    template('tests/support/check-response.js', 'node-test/support/check-response.js'),
    template('tests/support/url-encoding.js', 'node-test/support/url-encoding.js'),
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
    const data = () => new GroupCases(title, version, group, groupCases, document);
    entries.push(template(`tests/${group}.test.js`, 'node-test/group.test.js'), {
      path: `tests/cases/${group}.json`,
      content: () => data().text(),
      text: () => JSON.stringify(data().value(), null, 2) + '\n',
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

/**
 * tests/cases/<group>.json: the group's cases as support/run-case.js takes them (the request, the security
 * requirements that apply, the expected status), then the group's response schemas, each once, named by
 * content: response schemas repeat across the cases of an operation, and an expectation names its schema.
 * Their references point into support/schemas.json, which holds each referenced schema once for the project.
 */
class GroupCases {
  private readonly converter: SharedSchemas;
  private readonly schemas = new Map<string, { name: string; schema: unknown }>();

  constructor(
    private readonly title: string,
    private readonly version: string,
    private readonly group: string,
    private readonly cases: TestCase[],
    private readonly document: unknown,
  ) {
    this.converter = new SharedSchemas(document, false);
  }

  /** The file in pieces, a case at a time; the schemas, gathered on the way, come last. */
  text(): Generator<string> {
    return prettyJsonWithArray(this.head(), 'cases', this.runnableCases(), () => ({ schemas: this.table() }));
  }

  /** The file's value whole (its JSON text is what `text` gives). */
  value(): Record<string, unknown> {
    const cases = [...this.runnableCases()];
    return { ...this.head(), cases, schemas: this.table() };
  }

  private head(): Record<string, unknown> {
    return {
      $comment:
        `Generated by spectest: the cases of ${this.group}.test.js, which support/run-case.js sends and checks. ` +
        '"schemas" holds their response schemas as JSON Schema, named by content; their $refs point into support/schemas.json.',
      title: this.title,
      version: this.version,
      group: this.group,
      caseCount: this.cases.length,
    };
  }

  private *runnableCases(): Generator<Record<string, unknown>> {
    for (const testCase of this.cases) {
      const { security: _ownSecurity, ...request } = testCase.request;
      const { responses } = testCase.expect;
      yield {
        id: testCase.id,
        title: testCase.title,
        reason: testCase.reason,
        request,
        security: caseSecurity(this.document, testCase),
        // A case that sets `security: []` tests the refusal of a request without credentials: no AUTH_TOKEN either.
        ...(testCase.request.security?.length === 0 ? { withoutCredentials: true } : {}),
        expect: {
          status: testCase.expect.status,
          statusClass: testCase.expect.statusClass,
          responseSchema: this.name(testCase.expect.responseSchema),
          ...(responses ? { responses: Object.fromEntries(Object.entries(responses).map(([status, schema]) => [status, this.name(schema)])) } : {}),
        },
      };
    }
  }

  /** The name of a response schema in this file's table, or null for none. */
  private name(raw: unknown): string | null {
    const schema = this.converter.convert(raw);
    if (schema === null || schema === undefined) return null;
    const json = JSON.stringify(schema);
    let entry = this.schemas.get(json);
    if (!entry) {
      entry = { name: `S${createHash('sha256').update(json).digest('hex').slice(0, 12)}`, schema };
      this.schemas.set(json, entry);
    }
    return entry.name;
  }

  private table(): Record<string, unknown> {
    const sorted = [...this.schemas.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
    return Object.fromEntries(sorted.map((entry) => [entry.name, entry.schema]));
  }
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
