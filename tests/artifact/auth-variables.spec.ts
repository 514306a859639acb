import { createServer, IncomingHttpHeaders } from 'node:http';
import { AddressInfo } from 'node:net';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestCase } from '@spectest/contracts';
import { buildArtifactFiles, zipArtifact } from '@spectest/artifact';
import { extractZip, failedTests, runNodeTest } from '../support/generated-suite';

jest.setTimeout(60_000);

const document = {
  openapi: '3.0.3',
  info: { title: 'Keys', version: '1' },
  security: [{ api_key: [] }],
  components: { securitySchemes: { api_key: { type: 'apiKey', in: 'header', name: 'X-API-Key' } } },
  paths: { '/things': { get: { responses: { '200': { description: 'ok' }, '401': { description: 'no key' } } } } },
};

function thingsCase(id: string, title: string, status: number, security?: string[][]): TestCase {
  return {
    id,
    endpoint: 'GET /things',
    group: 'things',
    source: 'foundation',
    kind: security ? 'missing_auth' : 'positive',
    title,
    reason: 'auth wiring',
    request: { method: 'get', path: '/things', pathParams: {}, query: {}, headers: {}, contentType: null, ...(security ? { security } : {}) },
    expect: { status, statusClass: status < 300 ? '2xx' : '4xx', responseSchema: null },
  };
}

/** AUTH_<SCHEME> variables reach the API as the scheme says; a case with `security: []` sends no credentials at all. */
describe('generated suite credentials', () => {
  it('sends AUTH_API_KEY as X-API-Key, and nothing (not even AUTH_TOKEN) on the missing-auth case', async () => {
    const seen: IncomingHttpHeaders[] = [];
    const server = createServer((req, res) => {
      seen.push(req.headers);
      res.writeHead(req.headers['x-api-key'] === 'k1' ? 200 : 401).end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const dir = await mkdtemp(join(tmpdir(), 'spectest-auth-'));
    try {
      const cases = [thingsCase('a', 'with the key', 200), thingsCase('b', 'without credentials', 401, [])];
      const files = buildArtifactFiles({ title: 'Keys', version: '1', document, cases, formats: ['node-test'], report: { warnings: [], stageTimings: [] } });
      await extractZip(await zipArtifact(files), dir);
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
      const run = await runNodeTest(join(dir, 'tests'), url, [], { AUTH_API_KEY: 'k1', AUTH_TOKEN: 'global' });
      expect([...failedTests(run.output).keys()]).toEqual([]);
      expect({ pass: run.pass, fail: run.fail }).toEqual({ pass: 2, fail: 0 });
      const withoutCredentials = seen.filter((h) => h['x-api-key'] === undefined);
      expect(withoutCredentials).toHaveLength(1);
      expect(withoutCredentials[0].authorization).toBeUndefined();
      expect(seen.find((h) => h['x-api-key'] === 'k1')?.authorization).toBe('Bearer global');

      // Without the variable the keyed case fails, and says what it got.
      const bare = await runNodeTest(join(dir, 'tests'), url);
      expect(failedTests(bare.output).get('with the key')).toContain('Expected status 200, got 401');
    } finally {
      await new Promise((resolve) => server.close(resolve));
      await rm(dir, { recursive: true, force: true });
    }
  });
});
