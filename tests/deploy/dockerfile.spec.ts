import * as fs from 'node:fs';
import * as path from 'node:path';
import { ROOT, checkDockerfile, checkLockfileWorkspaces, clone, dockerStages, isDockerIgnored, parseDockerfile, readText, rootPackageJson, workspaceDirs } from './deploy-checks';

const dockerfile = readText('deploy/Dockerfile');
const dockerignore = readText('.dockerignore');

describe('deploy/Dockerfile', () => {
  it('builds on node:20-bookworm-slim in stages, copies what exists, runs as non-root with SIGTERM', () => {
    expect(checkDockerfile(dockerfile, dockerignore)).toEqual([]);
    expect(dockerStages(parseDockerfile(dockerfile)).map((s) => s.name)).toEqual(['base', 'workspace-manifests', 'manifests', 'build', 'prod-deps', 'runtime']);
  });

  it('gets the package.json of every workspace into the npm ci stages', () => {
    expect(workspaceDirs().length).toBeGreaterThanOrEqual(13);
    const problems = checkDockerfile(dockerfile, dockerignore);
    expect(problems.filter((p) => /before npm ci/.test(p))).toEqual([]);
    // Without the manifests of apps/, or with a prune that drops package.json, npm ci would fail.
    const noApps = dockerfile.replace('COPY --from=workspace-manifests /app/apps ./apps\n', '');
    expect(checkDockerfile(noApps, dockerignore)).toContainEqual(expect.stringMatching(/stage build: apps\/embedded\/package\.json is not copied before npm ci/));
    const prunesAll = dockerfile.replace("! -name package.json -exec rm -rf {} +", '-exec rm -rf {} +');
    expect(prunesAll).not.toBe(dockerfile);
    expect(checkDockerfile(prunesAll, dockerignore)).toContainEqual(expect.stringMatching(/libs\/auth\/package\.json is not copied before npm ci/));
  });

  it('has a lockfile that lists every workspace, so npm ci in the image accepts it', () => {
    const lock = JSON.parse(readText('package-lock.json'));
    expect(checkLockfileWorkspaces(lock)).toEqual([]);
    const stale = clone(lock);
    delete stale.packages['libs/contracts'];
    expect(checkLockfileWorkspaces(stale)).toContainEqual(expect.stringMatching(/no entry for workspace libs\/contracts/));
  });

  it('reports a missing COPY source, a missing workspace manifest, root, and no STOPSIGNAL', () => {
    const cases: Array<[string, string, RegExp]> = [
      ['missing source', dockerfile.replace('COPY nx.json', 'COPY nx.json missing.json'), /COPY source missing\.json does not exist/],
      ['workspace manifests not copied', dockerfile.replace('COPY --from=workspace-manifests /app/libs ./libs\n', ''), /libs\/artifact\/package\.json is not copied before npm ci/],
      ['unknown stage', dockerfile.replace('COPY --from=prod-deps', 'COPY --from=deps'), /--from=deps is not a stage/],
      ['root user', dockerfile.replace('USER 1000:1000', 'USER root'), /runs as root/],
      ['named user', dockerfile.replace('USER 1000:1000', 'USER node'), /not numeric/],
      ['no STOPSIGNAL', dockerfile.replace('STOPSIGNAL SIGTERM', ''), /STOPSIGNAL SIGTERM/],
      ['other base image', dockerfile.replace('ARG NODE_IMAGE=node:20-bookworm-slim', 'ARG NODE_IMAGE=node:22-alpine'), /node:22-alpine, expected node:20-bookworm-slim/],
      ['no build', dockerfile.replace('RUN npm run build', 'RUN true'), /no RUN npm run build/],
      ['unknown npm script', dockerfile.replace('RUN npm run build', 'RUN npm run build:all'), /npm script build:all/],
      ['wrong CMD', dockerfile.replace('exec node services/${SERVICE}/dist/main.js', 'exec node dist/main.js'), /does not run services\/\$SERVICE/],
      ['bad SERVICE default', dockerfile.replace('ARG SERVICE=intake', 'ARG SERVICE=web'), /ARG SERVICE default web/],
    ];
    for (const [label, text, expected] of cases) {
      expect(text).not.toBe(dockerfile);
      const problems = checkDockerfile(text, dockerignore);
      if (!problems.some((p) => expected.test(p))) throw new Error(`${label}: expected a problem matching ${expected}, got ${JSON.stringify(problems)}`);
    }
    expect(checkDockerfile(dockerfile, dockerignore + '\nnx.json\n')).toContainEqual(expect.stringMatching(/nx\.json is excluded by \.dockerignore/));
    expect(checkDockerfile(dockerfile, dockerignore.replace('**/node_modules', ''))).toContainEqual(expect.stringMatching(/does not exclude node_modules/));
  });

  it('ships what a package reads beside its dist/ (the artifact templates) into the image', () => {
    expect(checkDockerfile(dockerfile, dockerignore).filter((p) => /package\.json files/.test(p))).toEqual([]);
    const noLibs = dockerfile.replace('COPY --from=build /app/libs ./libs\n', '');
    expect(noLibs).not.toBe(dockerfile);
    expect(checkDockerfile(noLibs, dockerignore)).toContainEqual('final stage: libs/artifact/templates (package.json files) is not copied');
    expect(checkDockerfile(dockerfile, dockerignore + '\n**/templates\n')).toContainEqual('libs/artifact/templates (package.json files) is excluded by .dockerignore');
  });

  it('refers to npm scripts that exist, and the start scripts run the services\' dist/main.js', () => {
    const scripts = rootPackageJson().scripts;
    expect(scripts.build).toBeDefined();
    expect(scripts.migrate).toBe('node libs/persistence/dist/migrate.js');
    for (const name of ['intake', 'gateway', 'spec-parser', 'ai-enhancer', 'packager']) {
      expect(scripts[`start:${name}`]).toBe(`node services/${name}/dist/main.js`);
      // The build turns services/<name>/src into dist with swc.
      const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, 'services', name, 'package.json'), 'utf8'));
      expect(pkg.scripts.build).toMatch(/swc src -d dist/);
    }
    expect(fs.existsSync(path.join(ROOT, 'libs/persistence/src/migrate.ts'))).toBe(true);
  });

  it('parses continuation lines and matches .dockerignore patterns', () => {
    const ins = parseDockerfile('FROM a AS b\n# note\nRUN one \\\n  # inner comment\n  two\n');
    expect(ins.map((i) => [i.keyword, i.args.replace(/\s+/g, ' ')])).toEqual([
      ['FROM', 'a AS b'],
      ['RUN', 'one two'],
    ]);
    expect(isDockerIgnored('services/intake/node_modules', ['**/node_modules'])).toBe(true);
    expect(isDockerIgnored('libs/x/src/a.spec.ts', ['**/*.spec.ts'])).toBe(true);
    expect(isDockerIgnored('tests/deploy/a.ts', ['tests'])).toBe(true);
    expect(isDockerIgnored('libs/tests', ['tests'])).toBe(false);
    expect(isDockerIgnored('deploy/healthcheck.cjs', ['deploy/*', '!deploy/healthcheck.cjs'])).toBe(false);
  });
});

describe('.dockerignore', () => {
  it('keeps build outputs, dependencies, VCS data and secrets out of the build context', () => {
    const patterns = dockerignore.split('\n');
    for (const p of ['node_modules', 'libs/contracts/node_modules', 'services/intake/dist', '.git', '.env', 'coverage']) {
      expect([p, isDockerIgnored(p, patterns)]).toEqual([p, true]);
    }
    for (const p of ['package.json', 'package-lock.json', 'libs/contracts/src/index.ts', 'services/intake/src/public/index.html', 'deploy/healthcheck.cjs', '.swcrc']) {
      expect([p, isDockerIgnored(p, patterns)]).toEqual([p, false]);
    }
  });
});
