import { CASE_KINDS, TestCase } from '@spectest/contracts';
import { ArtifactFormat, ArtifactReport } from './artifact.types';
import { markdownCell, oneLine } from './text-safety';

/** REPORT.md: what was generated, per operation and kind, and what the run had to say about it. */
export function reportMarkdown(
  title: string,
  version: string,
  cases: TestCase[],
  formats: ArtifactFormat[],
  report: ArtifactReport,
): string {
  const foundation = cases.filter((c) => c.source === 'foundation').length;
  const lines = [
    `# Test report: ${oneLine(title)} ${oneLine(version)}`,
    '',
    `- Cases: ${cases.length} (foundation ${foundation}, AI ${cases.length - foundation})`,
    `- Operations: ${new Set(cases.map((c) => c.endpoint)).size}`,
    `- Formats: ${formats.join(', ')}`,
    '',
    '## Cases per operation',
    '',
    `| Operation | ${CASE_KINDS.join(' | ')} | total |`,
    `|---|${CASE_KINDS.map(() => '---:').join('|')}|---:|`,
    ...perOperationRows(cases),
    '',
    '## Warnings',
    '',
    ...(report.warnings.length > 0 ? report.warnings.map((w) => `- ${oneLine(w, 1000)}`) : ['None.']),
    '',
    '## Stage timings',
    '',
    ...(report.stageTimings.length > 0
      ? ['| Stage | Duration (ms) |', '|---|---:|', ...report.stageTimings.map((t) => `| ${markdownCell(t.stage)} | ${Math.round(t.durationMs)} |`)]
      : ['Not recorded.']),
    '',
  ];
  if (report.model || report.tokens) {
    lines.push('## Model', '');
    if (report.model) lines.push(`- Model: ${oneLine(report.model)}`);
    if (report.tokens) {
      lines.push(`- Tokens: ${report.tokens.total} (prompt ${report.tokens.prompt}, completion ${report.tokens.completion})`);
    }
    if (report.etaError) {
      const ms = (v: number | null) => (v === null ? 'n/a' : `${Math.round(v)} ms`);
      const e = report.etaError;
      lines.push(`- ETA error at 25% / 50% / 75% of the enhancing stage: ${ms(e.at25)} / ${ms(e.at50)} / ${ms(e.at75)} (mean absolute ${ms(e.meanAbs)})`);
    }
    lines.push('');
  }
  return lines.join('\n');
}

function perOperationRows(cases: TestCase[]): string[] {
  const counts = new Map<string, Map<string, number>>();
  for (const testCase of cases) {
    const row = counts.get(testCase.endpoint) ?? new Map<string, number>();
    row.set(testCase.kind, (row.get(testCase.kind) ?? 0) + 1);
    counts.set(testCase.endpoint, row);
  }
  return [...counts.entries()].map(([endpoint, row]) => {
    const cells = CASE_KINDS.map((kind) => String(row.get(kind) ?? 0));
    const total = [...row.values()].reduce((a, b) => a + b, 0);
    return `| ${markdownCell(endpoint)} | ${cells.join(' | ')} | ${total} |`;
  });
}
