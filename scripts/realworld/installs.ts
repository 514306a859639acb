import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * What the real servers need, installed when missing: Debian packages with apt-get (the servers run
 * from the package's binaries), npm packages into the git-ignored tmp/realworld-cache/ (not
 * devDependencies: hundreds of MB that every `npm ci` would pay for), and single files of a Debian
 * package that is not worth installing (its dependencies) taken out of the downloaded .deb.
 */

let aptUpdated = false;

/** Version of an installed Debian package, or null. */
export function debianVersion(pkg: string): string | null {
  try {
    const out = execFileSync('dpkg-query', ['-W', '-f=${Status}\t${Version}', pkg], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
    const [status, version] = out.split('\t');
    return status.endsWith(' installed') ? version : null;
  } catch {
    return null;
  }
}

export function ensureDebianPackages(packages: string[]): Record<string, string> {
  const missing = packages.filter((pkg) => debianVersion(pkg) === null);
  if (missing.length > 0) {
    if (process.getuid?.() !== 0) throw new Error(`missing Debian packages; install them with: sudo apt-get install ${missing.join(' ')}`);
    process.stderr.write(`installing Debian packages: ${missing.join(' ')}\n`);
    aptGet(['install', '-y', '--no-install-recommends', ...missing]);
  }
  return Object.fromEntries(packages.map((pkg) => [pkg, debianVersion(pkg) ?? 'unknown']));
}

/**
 * One file of a Debian package, from its .deb (downloaded into the cache, unpacked there): for a
 * package whose dependencies are not needed, only one of its files. Returns the file's path and the
 * package version it came from.
 */
export function debianPackageFile(cacheRoot: string, pkg: string, file: string): { path: string; version: string } {
  const dir = join(cacheRoot, 'debs', pkg);
  const unpacked = join(dir, 'root');
  const versionFile = join(dir, 'version');
  if (!existsSync(join(unpacked, file)) || !existsSync(versionFile)) {
    rmSync(dir, { recursive: true, force: true });
    mkdirSync(dir, { recursive: true });
    process.stderr.write(`downloading the Debian package ${pkg} (for ${file})\n`);
    // As root, apt hands the download to its sandbox user, who cannot write into this folder.
    const download = ['download', ...(process.getuid?.() === 0 ? ['-o', 'APT::Sandbox::User=root'] : []), pkg];
    try {
      execFileSync('apt-get', download, { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
    } catch {
      aptGet(['update']);
      execFileSync('apt-get', download, { cwd: dir, stdio: ['ignore', 'ignore', 'inherit'] });
    }
    const deb = readdirSync(dir).find((name) => name.endsWith('.deb'));
    if (!deb) throw new Error(`apt-get download ${pkg} left no .deb in ${dir}`);
    execFileSync('dpkg-deb', ['-x', deb, 'root'], { cwd: dir });
    const version = execFileSync('dpkg-deb', ['-f', deb, 'Version'], { cwd: dir, encoding: 'utf8' }).trim();
    writeFileSync(versionFile, version + '\n');
    rmSync(join(dir, deb));
  }
  return { path: join(unpacked, file), version: readFileSync(versionFile, 'utf8').trim() };
}

function aptGet(args: string[]): void {
  if (args[0] !== 'update' && !aptUpdated) aptGet(['update']);
  if (args[0] === 'update') {
    if (aptUpdated) return;
    aptUpdated = true;
  }
  execFileSync('apt-get', args, { stdio: ['ignore', 'inherit', 'inherit'], env: { ...process.env, DEBIAN_FRONTEND: 'noninteractive' } });
}

/**
 * `name@version` installed alone in tmp/realworld-cache/<dir>/ (install scripts off, as for the corpus);
 * returns the package's folder. Pinned, so a run is comparable with the baseline in docs/realworld.md.
 */
export function ensureNpmPackage(cacheRoot: string, dir: string, name: string, version: string): string {
  const root = join(cacheRoot, dir);
  const packageDir = join(root, 'node_modules', ...name.split('/'));
  const installed = existsSync(join(packageDir, 'package.json'))
    ? (JSON.parse(readFileSync(join(packageDir, 'package.json'), 'utf8')) as { version?: string }).version
    : undefined;
  if (installed === version) return packageDir;
  mkdirSync(root, { recursive: true });
  writeFileSync(join(root, 'package.json'), JSON.stringify({ name: `realworld-${dir}`, private: true }) + '\n');
  process.stderr.write(`installing ${name}@${version} into ${root}\n`);
  execFileSync('npm', ['install', '--no-save', '--no-audit', '--no-fund', '--ignore-scripts', '--loglevel=error', `${name}@${version}`], {
    cwd: root,
    stdio: ['ignore', 'inherit', 'inherit'],
  });
  return packageDir;
}
