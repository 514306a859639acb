import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createTestDatabase, freePort } from '@spectest/testing';
import { ensureNpmPackage } from '../installs';
import { RealServer } from '../real-server';
import { startServerProcess, waitForHttp } from '../server-process';

/** The newest release that runs on Node 20 (7.6 and later need Node 22). */
const VERSION = '7.5.1';

/**
 * Unleash (npm `unleash-server`): a feature-flag service, Node and Express, OpenAPI 3.0 generated from its
 * route schemas and enforced by them, 214 operations. It serves the document at /docs/openapi.json
 * (ENABLE_OAS). Data in a fresh Postgres database whose name says test, dropped when it stops.
 * Authentication: an admin API token seeded with INIT_ADMIN_API_TOKENS, sent as the Authorization header.
 */
export const unleash: RealServer = {
  id: 'unleash',
  name: 'Unleash',
  install: (cacheRoot) => {
    ensureNpmPackage(cacheRoot, 'unleash', 'unleash-server', VERSION);
    return { 'unleash-server': VERSION };
  },
  start: async ({ cacheRoot, workDir }) => {
    const packageDir = ensureNpmPackage(cacheRoot, 'unleash', 'unleash-server', VERSION);
    const database = await createTestDatabase();
    const token = `*:*.${randomBytes(24).toString('hex')}`;
    const port = await freePort();
    const server = startServerProcess('unleash', process.execPath, [join(packageDir, 'dist', 'server.js')], {
      cwd: workDir,
      logFile: join(workDir, 'server.log'),
      env: {
        PATH: process.env.PATH,
        TZ: 'UTC',
        DATABASE_URL: database.url,
        DATABASE_SSL: 'false',
        HTTP_HOST: '127.0.0.1',
        HTTP_PORT: String(port),
        ENABLE_OAS: 'true',
        INIT_ADMIN_API_TOKENS: token,
        // Nothing leaves the machine: no version check, no telemetry.
        CHECK_VERSION: 'false',
        SEND_TELEMETRY: 'false',
        LOG_LEVEL: 'warn',
      },
    });
    const origin = `http://127.0.0.1:${port}`;
    const stop = async () => {
      await server.stop();
      await database.drop();
    };
    try {
      await waitForHttp(server, `${origin}/health`, { ready: (status) => status === 200 });
      const docs = await fetch(`${origin}/docs/openapi.json`);
      if (!docs.ok) throw new Error(`GET /docs/openapi.json answered ${docs.status}`);
      return { origin, spec: await docs.text(), specSource: 'GET /docs/openapi.json', credentials: { apiKey: token }, stop };
    } catch (error) {
      await stop();
      throw error;
    }
  },
};
