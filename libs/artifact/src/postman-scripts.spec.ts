import { createServer, IncomingHttpHeaders, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { TestCase } from '@spectest/contracts';
import { runNewman } from '../../../tests/support/newman-run';
import { postmanCollection, postmanEnvironment } from './postman-collection';

jest.setTimeout(30_000);

// Answers by path: status, content type, body.
const ANSWERS: Record<string, [number, string | null, string]> = {
  '/pet': [200, 'application/json', '{"id":1,"name":"Rex"}'],
  '/pet-broken': [200, 'application/json', '{"id":"one"}'],
  '/pet-html': [200, 'text/html', '<p>'],
  '/created': [201, null, ''],
  '/text': [200, 'text/plain', 'abcdef'],
  '/refused': [400, 'application/json', '{}'],
  '/none': [204, null, ''],
};

const document = {
  openapi: '3.0.3',
  info: { title: 'Scripts', version: '1' },
  paths: {
    '/secured': { get: { security: [{ bearer: [] }, { api_key: [], query_key: [], cookie_key: [] }], responses: { '200': { description: 'ok' } } } },
    '/basic': { get: { security: [{ basic: [] }], responses: { '200': { description: 'ok' } } } },
  },
  components: {
    schemas: { Pet: { type: 'object', required: ['id'], properties: { id: { type: 'integer' }, name: { type: 'string' } } } },
    securitySchemes: {
      bearer: { type: 'http', scheme: 'bearer' },
      basic: { type: 'http', scheme: 'basic' },
      api_key: { type: 'apiKey', in: 'header', name: 'X-API-Key' },
      query_key: { type: 'apiKey', in: 'query', name: 'key' },
      cookie_key: { type: 'apiKey', in: 'cookie', name: 'session' },
    },
  },
};

const pet = { $ref: '#/components/schemas/Pet' };

function testCase(title: string, path: string, expect: Partial<TestCase['expect']>, method: TestCase['request']['method'] = 'get'): TestCase {
  return {
    id: title.replace(/\W+/g, '-'),
    endpoint: `${method.toUpperCase()} ${path}`,
    group: 'scripts',
    source: 'foundation',
    kind: 'positive',
    title,
    reason: 'script behaviour',
    request: { method, path, pathParams: {}, query: {}, headers: {}, contentType: null },
    expect: { status: 200, statusClass: '2xx', responseSchema: null, ...expect },
  };
}

/**
 * The Postman scripts (templates/postman) as code, in the sandbox they are written for: a collection built
 * around them runs under newman against a local server, and each branch of the checks and of the
 * credentials shows in what newman reports and what the server receives.
 */
describe('the Postman scripts', () => {
  let server: Server;
  let baseUrl: string;
  const seen = new Map<string, { url: string; headers: IncomingHttpHeaders }>();

  beforeAll(async () => {
    server = createServer((req, res) => {
      const path = new URL(req.url!, 'http://localhost').pathname;
      seen.set(path, { url: req.url!, headers: req.headers });
      const [status, type, body] = ANSWERS[path] ?? [200, null, ''];
      res.writeHead(status, type ? { 'content-type': type } : {}).end(body);
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const run = (cases: TestCase[], variables: Record<string, string> = {}) => {
    const environment = postmanEnvironment('Scripts', '1', document) as { values: { key: string; value: string }[] };
    for (const variable of environment.values) variable.value = variables[variable.key] ?? variable.value;
    return runNewman(postmanCollection('Scripts', '1', cases, document), environment, baseUrl);
  };

  it('checks the status (exact, class, one of several), then the body against the schema, only when the status is right', async () => {
    const result = await run([
      testCase('valid pet', '/pet', { responseSchema: pet }),
      testCase('broken pet', '/pet-broken', { responseSchema: pet }),
      testCase('html pet', '/pet-html', { responseSchema: pet }),
      testCase('wrong status', '/created', { status: 200 }),
      testCase('any 2xx', '/created', { status: null }),
      testCase('one of several', '/created', { status: null, responses: { '200': pet, '2XX': null } }),
      testCase('not one of several', '/created', { status: null, responses: { '200': null, '202': null } }),
      testCase('text against a string schema', '/text', { responseSchema: { type: 'string', maxLength: 3 } }),
      testCase('refused, body not checked', '/refused', { status: 200, responseSchema: pet }),
      testCase('no content', '/none', { status: 204, responseSchema: pet }),
      testCase('head', '/pet-html', { responseSchema: pet }, 'head'),
    ]);
    expect(result.executed).toBe(11);
    const failures = Object.fromEntries([...result.failures].map(([name, text]) => [name, text.split('\n').map((line) => line.replace(/^\S+ in test-script /, ''))]));
    expect(failures).toEqual({
      'broken pet': [expect.stringMatching(/^body matches the response schema: response body does not match the schema: data\.id should be integer/)],
      'html pet': [expect.stringMatching(/^body matches the response schema: the response content type is "text\/html", expected JSON matching the schema/)],
      'wrong status': [expect.stringMatching(/^status is 200: expected response to have status code 200 but got 201/)],
      'not one of several': [expect.stringMatching(/^status is one of 200, 202: status 201 is not one of the documented answers/)],
      'text against a string schema': [expect.stringMatching(/^body matches the response schema: .*should NOT be longer than 3 characters/)],
      'refused, body not checked': [expect.stringMatching(/^status is 200: expected response to have status code 200 but got 400/)],
    });
  });

  it('adds the credentials of the first requirement whose variables are set', async () => {
    const secured = testCase('secured', '/secured', {});
    const basic = testCase('basic', '/basic', {});
    const without: TestCase = { ...testCase('without credentials', '/secured', {}), request: { ...secured.request, path: '/secured', security: [] } };
    await run([secured, basic], { AUTH_API_KEY: 'k1', AUTH_QUERY_KEY: 'q 1', AUTH_COOKIE_KEY: 'c1', AUTH_BASIC: 'user:pw' });
    expect(seen.get('/secured')!.url).toBe('/secured?key=q%201');
    expect([seen.get('/secured')!.headers['x-api-key'], seen.get('/secured')!.headers.cookie, seen.get('/secured')!.headers.authorization]).toEqual(['k1', 'session=c1', undefined]);
    expect(seen.get('/basic')!.headers.authorization).toBe(`Basic ${Buffer.from('user:pw').toString('base64')}`);
    await run([secured], { AUTH_BEARER: 'token', AUTH_API_KEY: 'k1' });
    expect([seen.get('/secured')!.headers.authorization, seen.get('/secured')!.headers['x-api-key']]).toEqual(['Bearer token', undefined]);
    await run([without], { AUTH_BEARER: 'token', AUTH_API_KEY: 'k1' });
    expect([seen.get('/secured')!.headers.authorization, seen.get('/secured')!.headers['x-api-key'], seen.get('/secured')!.url]).toEqual([undefined, undefined, '/secured']);
  });
});
