import { execFile } from 'node:child_process';
import { createServer, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '@spectest/contracts';
import { readSpec, stopSpecValidator } from './index';
import { runSwaggerParser } from './spec-validator';

// The first read of a file starts the validator worker, which loads swagger-parser: slow on a busy machine.
jest.setTimeout(30_000);
afterAll(() => stopSpecValidator());

const FIXTURES = join(__dirname, '../../../tests/fixtures');

/** A spec from a stranger must never make us fetch a URL or read a file. */
describe('external $ref', () => {
  let server: Server;
  let baseUrl: string;
  let hits: string[];

  beforeAll(async () => {
    hits = [];
    server = createServer((req, res) => {
      hits.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'application/json' }).end('{"type":"object"}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  beforeEach(() => {
    hits = [];
  });

  const withRef = (ref: string) => ({
    openapi: '3.0.3',
    info: { title: 'Ref', version: '1' },
    paths: {
      '/things': {
        get: {
          responses: { '200': { description: 'ok', content: { 'application/json': { schema: { $ref: ref } } } } },
        },
      },
    },
  });

  it('refuses an http $ref with external_ref naming its JSON pointer, and fetches nothing', async () => {
    const error = (await readSpec(withRef(`${baseUrl}/thing.json`)).catch((e) => e)) as AppError;
    expect(error).toBeInstanceOf(AppError);
    expect(error.code).toBe('external_ref');
    expect(error.message).toContain('#/paths/~1things/get/responses/200/content/application~1json/schema/$ref');
    expect(hits).toEqual([]);
  });

  it.each([
    ['a relative file', './schemas/thing.yaml#/Thing'],
    ['a file:// URL', 'file:///etc/passwd'],
    ['an https URL', 'https://example.com/thing.json'],
    ['a bare name', 'Thing.json'],
  ])('refuses %s', async (_name, ref) => {
    const error = (await readSpec(withRef(ref)).catch((e) => e)) as AppError;
    expect(error.code).toBe('external_ref');
  });

  it('refuses the external-ref fixtures, in Swagger 2.0 too', async () => {
    for (const name of ['hostile/external-ref-http.yaml', 'hostile/external-ref-file.yaml']) {
      const error = (await readSpec(await readFile(join(FIXTURES, name))).catch((e) => e)) as AppError;
      expect(error.code).toBe('external_ref');
    }
    const swagger = {
      swagger: '2.0',
      info: { title: 'S', version: '1' },
      paths: { '/x': { get: { responses: { '200': { description: 'ok', schema: { $ref: `${baseUrl}/s.json` } } } } } },
    };
    expect(((await readSpec(swagger).catch((e) => e)) as AppError).code).toBe('external_ref');
    expect(hits).toEqual([]);
  });

  it('allows a property that happens to be named $ref', async () => {
    const doc = withRef('#/components/schemas/Thing');
    Object.assign(doc, {
      components: { schemas: { Thing: { type: 'object', properties: { $ref: { type: 'string' } } } } },
    });
    await expect(readSpec(doc)).resolves.toBeDefined();
  });

  it('second lock: the validator itself is configured never to resolve external refs', async () => {
    // Control: swagger-parser, told to resolve and allowed to reach 127.0.0.1, does fetch from this server.
    const control = [
      "const P = require('@apidevtools/swagger-parser');",
      'const doc = JSON.parse(process.argv[1]);',
      'P.dereference(doc, { resolve: { http: { safeUrlResolver: false } } }).catch(() => undefined);',
    ].join('\n');
    await new Promise((resolve) =>
      execFile(process.execPath, ['-e', control, JSON.stringify(withRef(`${baseUrl}/control.json`))], { cwd: __dirname }, resolve),
    );
    expect(hits).toEqual(['/control.json']);
    hits = [];
    // Bypasses the guard on purpose: even if it had a hole, our swagger-parser options must not fetch.
    await runSwaggerParser(withRef(`${baseUrl}/bypass.json`), 'validate').catch(() => undefined);
    await runSwaggerParser(withRef(`${baseUrl}/bypass.json`), 'schema').catch(() => undefined);
    expect(hits).toEqual([]);
  });
});
