import { execFileSync } from 'node:child_process';
import { builtinModules } from 'node:module';
import { readText, ROOT } from './deploy-checks';

/** The package a module specifier names (`yaml`, `@nestjs/common`), or null for ours, Node's and relative paths. */
function packageOf(specifier: string): string | null {
  if (specifier.startsWith('.') || specifier.startsWith('node:') || specifier.startsWith('@spectest/')) return null;
  const parts = specifier.split('/');
  const name = specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
  return builtinModules.includes(name) ? null : name;
}

/**
 * The image installs production dependencies only (`npm ci --omit=dev`): every package that code of the
 * libs, services and apps loads at run time must be one, directly or through another.
 */
describe('production dependencies', () => {
  it('cover every package the shipped code imports', () => {
    const lock = JSON.parse(readText('package-lock.json')) as { packages: Record<string, { dev?: boolean }> };
    const files = execFileSync('git', ['ls-files', '--cached', '--others', '--exclude-standard', 'libs', 'services', 'apps'], { cwd: ROOT, encoding: 'utf8' })
      .split('\n')
      .filter((file) => /^(libs|services|apps)\/[^/]+\/src\/.*\.(ts|js)$/.test(file))
      .filter((file) => !/\.(spec|e2e-spec|d)\.ts$/.test(file) && !file.includes('/src/testing/') && !file.includes('/public/'));
    expect(files.length).toBeGreaterThan(100);
    const missing = new Set<string>();
    for (const file of files) {
      const source = readText(file);
      // Type-only imports are erased by the build; everything else is loaded when the file is.
      const specifiers = [...source.matchAll(/^import (?!type )[^'"]*?from '([^']+)'/gm), ...source.matchAll(/\brequire\('([^']+)'\)/g)].map((m) => m[1]);
      for (const name of specifiers.map(packageOf)) {
        const installed = name ? lock.packages[`node_modules/${name}`] : undefined;
        if (name && (!installed || installed.dev === true)) missing.add(`${name} (${file})`);
      }
    }
    expect([...missing].sort()).toEqual([]);
  });
});
