import { join } from 'node:path';
import { freePort } from '@spectest/testing';
import { ensureNpmPackage } from '../installs';
import { RealServer } from '../real-server';
import { startServerProcess, waitForHttp } from '../server-process';

const VERSION = '6.0.0';

/**
 * LoopBack 4's todo example (npm `@loopback/example-todo`, by the framework's authors): the document is
 * generated from the controllers and models and served at /openapi.json, and the framework validates
 * every request body against it (AJV). 8 operations, server-assigned ids, no 4xx documented at all.
 * Started by loopback-todo-main.ts with an in-memory store in `workDir` and its geocoder pointed at a
 * stand-in on loopback (the example calls a public geocoding service when a todo has an address).
 */
export const loopbackTodo: RealServer = {
  id: 'loopback-todo',
  name: 'LoopBack 4 todo example',
  install: (cacheRoot) => {
    ensureNpmPackage(cacheRoot, 'loopback-todo', '@loopback/example-todo', VERSION);
    return { '@loopback/example-todo': VERSION };
  },
  start: async ({ cacheRoot, workDir }) => {
    const packageDir = ensureNpmPackage(cacheRoot, 'loopback-todo', '@loopback/example-todo', VERSION);
    const port = await freePort();
    const server = startServerProcess('loopback-todo', process.execPath, [join(__dirname, 'loopback-todo-main.js')], {
      cwd: workDir,
      logFile: join(workDir, 'server.log'),
      env: { PATH: process.env.PATH, TODO_PACKAGE_DIR: packageDir, TODO_PORT: String(port), TODO_DB_FILE: join(workDir, 'db.json') },
    });
    const origin = `http://127.0.0.1:${port}`;
    try {
      await waitForHttp(server, `${origin}/openapi.json`, { ready: (status) => status === 200 });
      const docs = await fetch(`${origin}/openapi.json`);
      return { origin, spec: await docs.text(), specSource: 'GET /openapi.json', credentials: {}, stop: () => server.stop() };
    } catch (error) {
      await server.stop();
      throw error;
    }
  },
};
