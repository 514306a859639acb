import { createServer } from 'node:http';
import { AddressInfo } from 'node:net';
import { join } from 'node:path';

/**
 * Child process of loopback-todo.ts: boots the example application the way its own main() does, with
 * two bindings changed (the documented way to configure a LoopBack datasource): the store is in memory,
 * saved to TODO_DB_FILE, and the geocoder calls a stand-in on loopback that places every address at one
 * point, instead of the public service the example uses.
 */
interface TodoApplication {
  bind(key: string): { to(value: unknown): void };
  boot(): Promise<void>;
  start(): Promise<void>;
  stop(): Promise<void>;
}

async function main(): Promise<void> {
  const packageDir = required('TODO_PACKAGE_DIR');
  // The example is installed under tmp/, outside the repo's dependencies: loaded by path at run time.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const load = (path: string) => require(join(packageDir, path)) as Record<string, unknown>;
  const geocoder = createServer((_req, res) => {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ result: { addressMatches: [{ coordinates: { x: -77.0365, y: 38.8977 } }] } }));
  });
  await new Promise<void>((resolve) => geocoder.listen(0, '127.0.0.1', resolve));

  const { TodoListApplication } = load('dist/application.js') as { TodoListApplication: new (config: unknown) => TodoApplication };
  const { GeocoderDataSource } = load('dist/datasources/geocoder.datasource.js') as { GeocoderDataSource: { defaultConfig: Record<string, unknown> } };
  const app = new TodoListApplication({
    rest: { port: Number(required('TODO_PORT')), host: '127.0.0.1', gracePeriodForClose: 0, openApiSpec: { setServersFromRequest: true } },
  });
  app.bind('datasources.config.db').to({ name: 'db', connector: 'memory', localStorage: '', file: required('TODO_DB_FILE') });
  const operations = GeocoderDataSource.defaultConfig.operations as { template: { url: string } }[];
  const geocoderUrl = `http://127.0.0.1:${(geocoder.address() as AddressInfo).port}/geocoder/locations/onelineaddress`;
  app.bind('datasources.config.geocoder').to({
    ...GeocoderDataSource.defaultConfig,
    operations: operations.map((operation) => ({ ...operation, template: { ...operation.template, url: geocoderUrl } })),
  });
  await app.boot();
  await app.start();
  const stop = () => {
    void app.stop().finally(() => process.exit(0));
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

function required(name: string): string {
  const value = process.env[name];
  if (!value) throw new Error(`${name} is not set`);
  return value;
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exit(1);
});
