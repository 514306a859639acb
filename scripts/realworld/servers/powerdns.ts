import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { freePort } from '@spectest/testing';
import { ensureDebianPackages } from '../installs';
import { RealServer } from '../real-server';
import { startServerProcess, waitForHttp } from '../server-process';

const SCHEMA = '/usr/share/pdns-backend-sqlite3/schema/schema.sqlite3.sql';

/**
 * PowerDNS Authoritative Server (Debian `pdns-server` with the SQLite backend): C++, Swagger 2.0,
 * 36 operations on zones, records, metadata, TSIG keys, crypto keys. Its built-in web server serves
 * the document at /api/docs. Every path starts with /servers/{server_id}, which must be `localhost`
 * (the spec says so in prose only). Authentication: the X-API-Key header, seeded in its config.
 */
export const powerdns: RealServer = {
  id: 'powerdns',
  name: 'PowerDNS Authoritative Server',
  install: () => ensureDebianPackages(['pdns-server', 'pdns-backend-sqlite3', 'sqlite3']),
  start: async ({ workDir }) => {
    const database = join(workDir, 'pdns.sqlite3');
    execFileSync('sqlite3', [database, `.read ${SCHEMA}`]);
    const apiKey = randomBytes(18).toString('hex');
    const webPort = await freePort();
    const dnsPort = await freePort();
    const config = [
      'launch=gsqlite3',
      `gsqlite3-database=${database}`,
      'api=yes',
      `api-key=${apiKey}`,
      'webserver=yes',
      'webserver-address=127.0.0.1',
      `webserver-port=${webPort}`,
      'webserver-allow-from=127.0.0.0/8',
      'local-address=127.0.0.1',
      `local-port=${dnsPort}`,
      `socket-dir=${workDir}`,
      'daemon=no',
      'guardian=no',
      'disable-syslog=yes',
      // No security-status DNS query at start-up: nothing leaves the machine.
      'security-poll-suffix=',
    ];
    writeFileSync(join(workDir, 'pdns.conf'), config.join('\n') + '\n');
    const server = startServerProcess('powerdns', '/usr/sbin/pdns_server', [`--config-dir=${workDir}`], {
      cwd: workDir,
      logFile: join(workDir, 'server.log'),
    });
    const origin = `http://127.0.0.1:${webPort}`;
    const headers = { 'x-api-key': apiKey };
    try {
      await waitForHttp(server, `${origin}/api/v1/servers/localhost`, { headers, ready: (status) => status === 200 });
      const docs = await fetch(`${origin}/api/docs`, { headers });
      if (!docs.ok) throw new Error(`GET /api/docs answered ${docs.status}`);
      return { origin, spec: await docs.text(), specSource: 'GET /api/docs', credentials: { APIKeyHeader: apiKey }, stop: () => server.stop() };
    } catch (error) {
      await server.stop();
      throw error;
    }
  },
};
