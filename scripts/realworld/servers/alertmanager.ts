import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '@spectest/testing';
import { debianPackageFile, ensureDebianPackages } from '../installs';
import { RealServer } from '../real-server';
import { startServerProcess, waitForHttp } from '../server-process';

const SPEC_PACKAGE = 'golang-github-prometheus-alertmanager-dev';
const SPEC_FILE = 'usr/share/gocode/src/github.com/prometheus/alertmanager/api/v2/restapi/embedded_spec.go';

/**
 * Prometheus Alertmanager (Debian `prometheus-alertmanager`): Go, go-swagger, Swagger 2.0, 9 operations
 * on alerts, silences (startsAt/endsAt that must be ordered and in the future), receivers and status.
 * It does not serve its document: the binary embeds it, generated from the authors' api/v2/openapi.yaml,
 * and the same Debian source version ships it as `SwaggerJSON` in the Go sources of the -dev package,
 * which is taken from its .deb (installing it would pull in dozens of Go source packages).
 */
export const alertmanager: RealServer = {
  id: 'alertmanager',
  name: 'Prometheus Alertmanager',
  install: (cacheRoot) => {
    const versions = ensureDebianPackages(['prometheus-alertmanager']);
    const spec = debianPackageFile(cacheRoot, SPEC_PACKAGE, SPEC_FILE);
    return { ...versions, [SPEC_PACKAGE]: spec.version };
  },
  start: async ({ cacheRoot, workDir }) => {
    const spec = embeddedSwaggerJson(readFileSync(debianPackageFile(cacheRoot, SPEC_PACKAGE, SPEC_FILE).path, 'utf8'));
    const port = await freePort();
    const config = join(workDir, 'alertmanager.yml');
    // The smallest valid configuration: one receiver that sends nothing anywhere.
    writeFileSync(config, 'route:\n  receiver: nowhere\nreceivers:\n  - name: nowhere\n');
    const server = startServerProcess(
      'alertmanager',
      '/usr/bin/prometheus-alertmanager',
      [
        `--config.file=${config}`,
        `--storage.path=${join(workDir, 'data')}`,
        `--web.listen-address=127.0.0.1:${port}`,
        // An empty cluster address turns gossip off: a single instance, no UDP/TCP peers.
        '--cluster.listen-address=',
      ],
      { cwd: workDir, logFile: join(workDir, 'server.log') },
    );
    const origin = `http://127.0.0.1:${port}`;
    try {
      await waitForHttp(server, `${origin}/-/ready`, { ready: (status) => status === 200 });
    } catch (error) {
      await server.stop();
      throw error;
    }
    return { origin, spec, specSource: `${SPEC_PACKAGE}: ${SPEC_FILE} (SwaggerJSON)`, credentials: {}, stop: () => server.stop() };
  },
};

const BACKTICK_MARK = '\u{F8FF}backtick\u{F8FF}';

/** The `SwaggerJSON` literal of go-swagger's embedded_spec.go (a Go raw string; go-swagger writes a backtick as "` + \"`\" + `"). */
export function embeddedSwaggerJson(source: string): string {
  const joined = source.split('` + "`" + `').join(BACKTICK_MARK);
  const match = /\bSwaggerJSON = json\.RawMessage\(\[\]byte\(`([\s\S]*?)`\)\)/.exec(joined);
  if (!match) throw new Error('no SwaggerJSON literal in embedded_spec.go');
  return match[1].split(BACKTICK_MARK).join('`');
}
