import { FAILURE_KINDS, FailureKind } from './failure-kind';
import { RUNNERS, RunnerName } from './run-runners';

/** What tmp/realworld/<id>.json holds: one server, both runners, every case. */
export interface ServerResult {
  id: string;
  name: string;
  versions: Record<string, string>;
  specSource: string;
  title?: string;
  operations?: number;
  /** The spec's base path, appended to the origin for BASE_URL / baseUrl. */
  basePath?: string;
  runners: Partial<Record<RunnerName, RunnerSummary>>;
  cases: CaseResult[];
  error?: string;
  /** Held while running, to redact the seeded credentials from what is kept; never written. */
  credentialValues?: Record<string, string>;
}

export interface RunnerSummary {
  passed: number;
  failed: number;
  /** Requests the server got from this runner (through the recording proxy). */
  requests: number;
  answered404: number;
  /** Requests by answered status ("none": no answer). */
  statuses: Record<string, number>;
  /** The distinct Accept headers the runner sent. */
  accept: string[];
  ms: number;
}

export interface CaseResult {
  id: string;
  title: string;
  endpoint: string;
  kind: string;
  /** The expected status, class, or documented alternatives joined with |. */
  expected: string;
  runners: Partial<Record<RunnerName, CaseRun>>;
}

export interface CaseRun {
  passed: boolean;
  status: number | null;
  failure?: FailureKind;
  /** Whether the operation documents the status that came back. */
  documented?: boolean;
  message?: string;
  exchange?: string[];
}

/** The per-server block printed to stdout: totals per runner, failures by kind, then every failure on one line. */
export function printServerResult(result: ServerResult): string {
  const lines = [`# ${result.name} (${Object.entries(result.versions).map(([p, v]) => `${p} ${v}`).join(', ')})`];
  if (result.title) lines.push(`spec: ${result.title}, ${result.operations} operations, from ${result.specSource}; base path "${result.basePath}"`);
  for (const runner of RUNNERS) {
    const summary = result.runners[runner];
    if (!summary) continue;
    lines.push(
      `${runner.padEnd(9)} cases ${result.cases.length || summary.passed + summary.failed}, passed ${summary.passed}, failed ${summary.failed}; ` +
        `requests ${summary.requests}, answered 404: ${summary.answered404}; ${(summary.ms / 1000).toFixed(1)} s; Accept: ${summary.accept.join(' / ')}`,
    );
    const kinds = failureCounts(result, runner);
    if (kinds.length > 0) lines.push(`          failures by kind: ${kinds.map(([kind, n]) => `${kind} ${n}`).join(', ')}`);
  }
  const failing = result.cases.filter((c) => RUNNERS.some((r) => c.runners[r] && !c.runners[r]!.passed));
  const disagree = result.cases.filter((c) => c.runners['node-test'] && c.runners.newman && c.runners['node-test'].passed !== c.runners.newman.passed);
  // Only newman reports the status of a passing request: a negative case "passing" on 404/405 proves nothing.
  const vacuous = result.cases.filter((c) => c.kind !== 'positive' && c.runners.newman?.passed && [404, 405].includes(c.runners.newman.status ?? 0));
  if (result.cases.length > 0) lines.push(`runners disagree on ${disagree.length} case(s); negative cases newman passed on a 404/405: ${vacuous.length}`);
  for (const c of failing) {
    const verdicts = RUNNERS.map((r) => {
      const run = c.runners[r];
      if (!run) return `${r} -`;
      if (run.passed) return `${r} pass`;
      return `${r} ${run.failure}${run.status !== null ? ` ${run.status}${run.documented === false ? ' undocumented' : ''}` : ''}`;
    });
    const why = firstLine(c.runners['node-test']?.message ?? c.runners.newman?.message ?? '');
    lines.push(`  - [${verdicts.join(' | ')}] ${c.kind} ${c.endpoint} (expected ${c.expected}): ${c.title} — ${why}`);
  }
  if (result.error) lines.push(`ERROR: ${result.error}`);
  return lines.join('\n') + '\n';
}

export function failureCounts(result: ServerResult, runner: RunnerName): [FailureKind, number][] {
  return FAILURE_KINDS.map((kind) => [kind, result.cases.filter((c) => c.runners[runner]?.failure === kind).length] as [FailureKind, number]).filter(
    ([, n]) => n > 0,
  );
}

/** The failed expectation and, for a schema check, its first problem, on one line. */
function firstLine(text: string): string {
  const line = text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .slice(0, 2)
    .map((l) => l.trim())
    .join(' ');
  return line.length > 240 ? `${line.slice(0, 240)}…` : line;
}
