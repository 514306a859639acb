import { existsSync, readFileSync, symlinkSync } from 'node:fs';
import { join } from 'node:path';
import { failedTests, runNodeTest } from '../../tests/support/generated-suite';
import { runNewman } from '../../tests/support/newman-run';

export type RunnerName = 'node-test' | 'newman';
export const RUNNERS: RunnerName[] = ['node-test', 'newman'];

/** How one runner fared on one case. status: what the server answered, when the runner tells (null otherwise). */
export interface RunnerCase {
  passed: boolean;
  status: number | null;
  /** The failed expectations, without the request/response dump. */
  message?: string;
  /** node:test failures: the request sent and the response got, as the suite printed them (clipped). */
  exchange?: string[];
}

/**
 * Runs a runner of the extracted ZIP as its README tells a user: node:test with BASE_URL and the
 * AUTH_<SCHEME> variables of tests/support/security.json; newman on postman/collection.json with the
 * environment's baseUrl and the same variables filled in. Returns the outcome per case title.
 */
export async function runRunner(
  runner: RunnerName,
  suite: { dir: string; repoRoot: string },
  baseUrl: string,
  credentials: Record<string, string>,
): Promise<Map<string, RunnerCase>> {
  const variables = credentialVariables(suite.dir, credentials);
  return runner === 'node-test' ? runNode(suite, baseUrl, variables) : runPostman(suite.dir, baseUrl, variables);
}

/** AUTH_<SCHEME> variable -> value, from the scheme names the server was seeded with. */
function credentialVariables(suiteDir: string, credentials: Record<string, string>): Record<string, string> {
  const file = join(suiteDir, 'tests', 'support', 'security.json');
  const schemes = existsSync(file) ? (JSON.parse(readFileSync(file, 'utf8')) as Record<string, { envVar: string }>) : {};
  const variables: Record<string, string> = {};
  for (const [scheme, value] of Object.entries(credentials)) {
    if (!schemes[scheme]) throw new Error(`the suite has no variable for the security scheme ${scheme}`);
    variables[schemes[scheme].envVar] = value;
  }
  return variables;
}

async function runNode(suite: { dir: string; repoRoot: string }, baseUrl: string, variables: Record<string, string>): Promise<Map<string, RunnerCase>> {
  const suiteDir = suite.dir;
  const testsDir = join(suiteDir, 'tests');
  // In place of `npm install`: the repo's node_modules holds the same ajv and ajv-formats (as the ZIP tests do).
  if (!existsSync(join(testsDir, 'node_modules'))) symlinkSync(join(suite.repoRoot, 'node_modules'), join(testsDir, 'node_modules'), 'dir');
  const run = await runNodeTest(testsDir, baseUrl, [], variables);
  if (Number.isNaN(run.pass) || Number.isNaN(run.fail)) throw new Error(`node --test printed no summary:\n${run.output.slice(-2000)}`);
  const failed = failedTests(run.output);
  const outcomes = new Map<string, RunnerCase>();
  for (const title of caseTitles(suiteDir)) {
    const block = failed.get(title);
    if (block === undefined) {
      outcomes.set(title, { passed: true, status: null });
      continue;
    }
    const text = tapErrorText(block);
    const status = /^Response status: (\d+)$/m.exec(text);
    outcomes.set(title, { passed: false, status: status ? Number(status[1]) : null, message: failurePart(text), exchange: exchangeLines(text) });
  }
  return outcomes;
}

async function runPostman(suiteDir: string, baseUrl: string, variables: Record<string, string>): Promise<Map<string, RunnerCase>> {
  const collection = JSON.parse(readFileSync(join(suiteDir, 'postman', 'collection.json'), 'utf8')) as unknown;
  const environment = JSON.parse(readFileSync(join(suiteDir, 'postman', 'environment.json'), 'utf8')) as { values: { key: string; value: string }[] };
  for (const variable of environment.values) if (variables[variable.key] !== undefined) variable.value = variables[variable.key];
  const run = await runNewman(collection, environment, baseUrl);
  const outcomes = new Map<string, RunnerCase>();
  for (const title of caseTitles(suiteDir)) {
    const failure = run.failures.get(title);
    outcomes.set(title, { passed: failure === undefined, status: run.statuses.get(title) ?? null, ...(failure ? { message: failure } : {}) });
  }
  return outcomes;
}

function caseTitles(suiteDir: string): string[] {
  const file = JSON.parse(readFileSync(join(suiteDir, 'cases.json'), 'utf8')) as { cases: { title: string }[] };
  return file.cases.map((c) => c.title);
}

/** The error text of a TAP failure block (node's YAML `error: |-` scalar), unindented. */
function tapErrorText(block: string): string {
  const lines = block.split('\n');
  const start = lines.findIndex((line) => /^\s+error: [|>]-?\s*$/.test(line));
  if (start < 0) return block;
  const indent = /^(\s*)/.exec(lines[start + 1] ?? '')?.[1].length ?? 0;
  const body: string[] = [];
  for (const line of lines.slice(start + 1)) {
    if (line.trim() !== '' && (/^(\s*)/.exec(line)?.[1].length ?? 0) < indent) break;
    body.push(line.slice(indent));
  }
  return body.join('\n');
}

/** What failed, before the generated suite's "Why this case exists" and request/response dump. */
function failurePart(text: string): string {
  const cut = text.indexOf('\nWhy this case exists:');
  return (cut < 0 ? text : text.slice(0, cut)).trim();
}

const EXCHANGE_LINE_CHARS = 400;

/** The request and response lines of a node:test failure (credentials are redacted by the suite), clipped. */
function exchangeLines(text: string): string[] {
  return text
    .split('\n')
    .filter((line) => /^(Request|Request body|Response status|Response body):/.test(line))
    .map((line) => (line.length > EXCHANGE_LINE_CHARS ? `${line.slice(0, EXCHANGE_LINE_CHARS)}…` : line));
}
