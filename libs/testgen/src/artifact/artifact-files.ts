import { stringifyChunked } from '@discoveryjs/json-ext';
import type { CaseRequest, TestCase } from '@spectest/contracts';
import { ARTIFACT_FORMATS, ArtifactEntry, ArtifactFile, ArtifactInput } from './artifact.types';
import { nodeTestProjectEntries } from './node-test-project';
import { postmanCollection, postmanCollectionText, postmanEnvironment } from './postman-collection';
import { casesJsonSchema } from './cases-json-schema';
import { reportMarkdown } from './report-markdown';
import { oneLine } from './text-safety';
import { judgeCase } from '../cases/mock-judgement';

/**
 * Every file of the artifact, sorted by path, each produced only when asked for (see ArtifactEntry).
 * Same input, same entries, byte for byte: nothing here reads a clock or a random source.
 */
export function artifactEntries(input: ArtifactInput): ArtifactEntry[] {
  const formats = ARTIFACT_FORMATS.filter((f) => (input.formats?.length ? input.formats : ARTIFACT_FORMATS).includes(f));
  const { title, version, cases, document } = input;
  const entries: ArtifactEntry[] = [
    { path: 'README.md', content: () => rootReadme(title, version, formats) },
    { path: 'REPORT.md', content: () => reportMarkdown(title, version, cases, formats, input.report) },
    {
      path: 'cases.json',
      content: () => casesJsonText(title, version, cases, document),
      text: () => [...casesJsonText(title, version, cases, document)].join(''),
    },
    jsonEntry('cases.schema.json', casesJsonSchema),
    jsonEntry('openapi.json', () => document),
  ];
  if (formats.includes('node-test')) entries.push(...nodeTestProjectEntries(title, version, cases, document));
  if (formats.includes('postman')) {
    entries.push(
      {
        path: 'postman/collection.json',
        content: function* () {
          yield* postmanCollectionText(title, version, cases, document);
          yield '\n';
        },
        text: () => JSON.stringify(postmanCollection(title, version, cases, document), null, 2) + '\n',
      },
      jsonEntry('postman/environment.json', () => postmanEnvironment(title, version, document)),
    );
  }
  return entries.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** Every file of the artifact with its whole text, sorted by path (for tests and small inputs; the packager streams entries). */
export function buildArtifactFiles(input: ArtifactInput): ArtifactFile[] {
  return artifactEntries(input).map((entry) => ({ path: entry.path, content: entryText(entry) }));
}

export function entryText(entry: ArtifactEntry): string {
  if (entry.text) return entry.text();
  const content = entry.content();
  return typeof content === 'string' ? content : [...content].join('');
}

/**
 * A pretty JSON file (2 spaces, trailing newline). Zipped, its text is produced in pieces of about 256 KiB
 * (json-ext, the same text as JSON.stringify) instead of one string as big as the file; whole, it is
 * JSON.stringify's.
 */
function jsonEntry(path: string, value: () => unknown): ArtifactEntry {
  return {
    path,
    content: function* () {
      yield* stringifyChunked(value(), { space: 2, highWaterMark: 256 * 1024 });
      yield '\n';
    },
    text: () => JSON.stringify(value(), null, 2) + '\n',
  };
}

/**
 * The text of `JSON.stringify({ $schema, title, version, caseCount, cases: markMockJudgement(cases, document) }, null, 2)`
 * plus a newline, byte for byte, in pieces of about 256 KiB: each case is marked and written one at a time,
 * so no second array of every case is held. The valid request of each endpoint is found as
 * markMockJudgement finds it (the first foundation positive case), then judgeCase marks each case.
 */
export function* casesJsonText(title: string, version: string, cases: readonly TestCase[], document: unknown): Generator<string> {
  const validRequests = new Map<string, CaseRequest>();
  for (const testCase of cases) {
    if (testCase.kind === 'positive' && testCase.source === 'foundation' && !validRequests.has(testCase.endpoint)) {
      validRequests.set(testCase.endpoint, testCase.request);
    }
  }
  let buffer = `{\n  "$schema": "./cases.schema.json",\n  "title": ${JSON.stringify(title)},\n  "version": ${JSON.stringify(version)},\n  "caseCount": ${cases.length},\n  "cases": [`;
  for (let i = 0; i < cases.length; i++) {
    const testCase = cases[i];
    const marked = { ...testCase, mockJudgement: judgeCase(testCase, document, validRequests.get(testCase.endpoint)) };
    // A JSON text has no raw newline inside a string, so indenting every newline nests it two levels down.
    buffer += `${i === 0 ? '\n' : ',\n'}    ${JSON.stringify(marked, null, 2).replace(/\n/g, '\n    ')}`;
    if (buffer.length >= CHUNK_CHARS) {
      yield buffer;
      buffer = '';
    }
  }
  yield `${buffer}${cases.length ? '\n  ]' : ']'}\n}\n`;
}

const CHUNK_CHARS = 256 * 1024;

function rootReadme(title: string, version: string, formats: string[]): string {
  return [
    `# API tests for ${oneLine(title)} ${oneLine(version)}`,
    '',
    'Generated by spectest.',
    '',
    ...(formats.includes('node-test') ? ['- `tests/`: a runnable node:test project; see `tests/README.md`.'] : []),
    ...(formats.includes('postman')
      ? [
          '- `postman/collection.json`: a Postman v2.1 collection with the same checks (status, then body against the',
          '  response schema); `postman/environment.json` holds `baseUrl` and the `AUTH_<SCHEME>` variables.',
          '  Run: `npx newman run postman/collection.json -e postman/environment.json --env-var baseUrl=http://localhost:8080`.',
        ]
      : []),
    '- `cases.json`: every test case, machine readable; `cases.schema.json` is the JSON Schema of its format.',
    '- `REPORT.md`: counts per operation and kind, warnings, stage timings.',
    '- `openapi.json`: the normalised OpenAPI document the cases were generated from, with its internal `$ref`s.',
    '',
  ].join('\n');
}
