import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** Pinned, so the figures in docs/portman-comparison.md can be reproduced. */
export const PORTMAN_PACKAGE = '@apideck/portman@1.33.0';

/**
 * Portman and its 300-odd dependencies are a tool we compare against, not one we ship: installed on
 * demand into the git-ignored tmp/ folder (like the corpus), never into the project's dependencies.
 * Returns the path of its CLI.
 */
export function ensurePortman(repoRoot: string): string {
  const cache = join(repoRoot, 'tmp', 'portman-cache');
  const bin = join(cache, 'node_modules', '@apideck', 'portman', 'bin', 'portman');
  if (existsSync(bin)) return bin;
  mkdirSync(cache, { recursive: true });
  writeFileSync(join(cache, 'package.json'), JSON.stringify({ name: 'portman-cache', private: true }) + '\n');
  process.stderr.write(`installing ${PORTMAN_PACKAGE} into ${cache} (once)\n`);
  execFileSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--ignore-scripts', PORTMAN_PACKAGE], { cwd: cache, stdio: 'inherit' });
  return bin;
}
