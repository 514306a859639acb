import { execFile } from 'node:child_process';
import { cp, mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { createServer, IncomingMessage, Server } from 'node:http';
import { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';

const TEMPLATES = join(__dirname, '../templates/node-test');
// The generated project installs ajv and ajv-formats; the repo's own copies stand in for `npm install`.
const NODE_MODULES = dirname(dirname(require.resolve('ajv/package.json')));

type RunCase = (testCase: unknown, schemas: Record<string, object>) => Promise<{ status: number; body: string }>;
type CheckResponseBody = (schema: unknown, method: string, status: number, contentType: string | null, text: string) => string[] | null;

/**
 * The generated project's runtime (templates/node-test) as code: copied into a folder with the data files
 * a generation writes beside it (security.json, schemas.json), then required and called directly, against
 * a local server that records what it receives and answers what a test tells it to.
 */
describe('the node:test runtime', () => {
  let dir: string;
  let runCase: RunCase;
  let checkResponseBody: CheckResponseBody;
  let server: Server;
  let baseUrl: string;
  let answer: { status: number; type?: string; body?: string };
  let received: { method: string; url: string; headers: Record<string, string>; rawHeaders: string[]; body: string }[];
  const env = { ...process.env };

  beforeAll(async () => {
    dir = await runtimeFolder();
    // Required from the folder made above, as the generated project requires them: a path known only at run time.
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    ({ runCase } = require(join(dir, 'support/run-case.js')) as { runCase: RunCase });
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    ({ checkResponseBody } = require(join(dir, 'support/check-response.js')) as { checkResponseBody: CheckResponseBody });
    server = createServer((req: IncomingMessage, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (chunk: Buffer) => chunks.push(chunk));
      req.on('end', () => {
        received.push({ method: req.method!, url: req.url!, headers: req.headers as Record<string, string>, rawHeaders: req.rawHeaders, body: Buffer.concat(chunks).toString() });
        res.writeHead(answer.status, answer.type ? { 'content-type': answer.type } : {}).end(answer.body ?? '');
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/v1/`;
  });

  beforeEach(() => {
    received = [];
    answer = { status: 200, type: 'application/json', body: '{"id":1}' };
    for (const name of Object.keys(process.env)) if (/^(AUTH_|EXTRA_HEADERS$|BASE_URL$|REQUEST_TIMEOUT_MS$)/.test(name)) delete process.env[name];
    process.env.BASE_URL = baseUrl;
  });

  afterAll(async () => {
    process.env = env;
    await new Promise<void>((resolve) => server.close(() => resolve()));
    await rm(dir, { recursive: true, force: true });
  });

  /** The templates with what a generation writes beside them (the data files), and the dependencies linked. */
  async function runtimeFolder(): Promise<string> {
    const folder = await mkdtemp(join(tmpdir(), 'spectest-runtime-'));
    await cp(TEMPLATES, folder, { recursive: true });
    await symlink(NODE_MODULES, join(folder, 'node_modules'), 'dir');
    const security = {
      api_key: { envVar: 'AUTH_API_KEY', apply: 'header', name: 'X-API-Key' },
      bearer: { envVar: 'AUTH_BEARER', apply: 'bearer' },
      basic: { envVar: 'AUTH_BASIC', apply: 'basic' },
      query_key: { envVar: 'AUTH_QUERY_KEY', apply: 'query', name: 'key' },
      cookie_key: { envVar: 'AUTH_COOKIE_KEY', apply: 'cookie', name: 'session' },
    };
    await writeFile(join(folder, 'support/security.json'), JSON.stringify(security));
    const shared = { $id: 'spectest-schemas.json', $defs: { Pet: { type: 'object', required: ['id'], properties: { id: { type: 'integer', format: 'int32' } } } } };
    await writeFile(join(folder, 'support/schemas.json'), JSON.stringify(shared));
    return folder;
  }

  const testCase = (overrides: Record<string, unknown> = {}, expect: Record<string, unknown> = {}) => ({
    id: 'case-1',
    title: 'a case',
    reason: 'the spec says so',
    request: { method: 'post', path: '/pets/{petId}', pathParams: {}, query: {}, headers: {}, contentType: null, ...overrides },
    security: [],
    expect: { status: 200, statusClass: '2xx', responseSchema: null, ...expect },
  });

  it('sends the request of the case: path and query percent-encoded as styled, its headers, its body', async () => {
    const body = JSON.parse('{"__proto__": {"x": 1}, "constructor": "c", "name": "Rex"}');
    const headers = JSON.parse('{"X-Trace": "t 1", "constructor": "yes"}');
    await runCase(
      testCase({ pathParams: { petId: ';id=a b,c' }, query: { 'filter[color]': 'red|blue', tags: ['a&b', 'c'], toString: 'x' }, headers, contentType: 'application/json', body }),
      {},
    );
    expect(received).toHaveLength(1);
    const [request] = received;
    expect([request.method, request.url]).toEqual(['POST', '/v1/pets/;id=a%20b,c?filter[color]=red|blue&tags=a%26b&tags=c&toString=x']);
    expect(request.headers).toEqual(expect.objectContaining({ 'x-trace': 't 1', constructor: 'yes', 'content-type': 'application/json', accept: 'application/json, */*;q=0.5' }));
    expect(request.body).toBe('{"__proto__":{"x":1},"constructor":"c","name":"Rex"}');
  });

  it('sends form bodies as their fields, nested values as JSON text', async () => {
    await runCase(testCase({ contentType: 'application/x-www-form-urlencoded', body: { name: 'a b', tags: ['x'], n: 1 } }), {});
    await runCase(testCase({ contentType: 'multipart/form-data', body: { name: 'Rex' } }), {});
    expect(received[0].body).toBe('name=a+b&tags=%5B%22x%22%5D&n=1');
    expect(received[1].headers['content-type']).toMatch(/^multipart\/form-data; boundary=/);
    expect(received[1].body).toContain('name="name"\r\n\r\nRex\r\n');
  });

  it('adds the credentials of the first requirement whose variables are set, and none to a case without credentials', async () => {
    Object.assign(process.env, { AUTH_API_KEY: 'k1', AUTH_QUERY_KEY: 'q1', AUTH_COOKIE_KEY: 'c 1', AUTH_BASIC: 'user:pw', AUTH_TOKEN: 'global' });
    await runCase({ ...testCase(), security: [['bearer'], ['api_key', 'query_key', 'cookie_key']] }, {});
    await runCase({ ...testCase(), security: [['basic']] }, {});
    await runCase({ ...testCase(), security: [['bearer']] }, {});
    await runCase({ ...testCase(), security: [], withoutCredentials: true }, {});
    const [keyed, basic, unset, without] = received;
    expect(keyed.url).toBe('/v1/pets/%7BpetId%7D?key=q1');
    expect([keyed.headers['x-api-key'], keyed.headers.cookie, keyed.headers.authorization]).toEqual(['k1', 'session=c%201', 'Bearer global']);
    expect(basic.headers.authorization).toBe(`Basic ${Buffer.from('user:pw').toString('base64')}`);
    expect(unset.headers.authorization).toBe('Bearer global');
    // A case that tests a request without credentials gets none: no scheme, and not AUTH_TOKEN either.
    expect([without.headers.authorization, without.headers['x-api-key'], without.headers.cookie, without.url]).toEqual([undefined, undefined, undefined, '/v1/pets/%7BpetId%7D']);
  });

  it('checks the exact status, the class, or one of several documented statuses (a 2XX range too)', async () => {
    answer = { status: 201 };
    await expect(runCase(testCase({}, { status: 200 }), {})).rejects.toThrow(/^Expected status 200, got 201 Created\./);
    await expect(runCase(testCase({}, { status: null }), {})).resolves.toEqual({ status: 201, body: '' });
    await expect(runCase(testCase({}, { status: null, statusClass: '4xx' }), {})).rejects.toThrow(/^Expected a 4xx status, got 201/);
    await expect(runCase(testCase({}, { status: null, responses: { '200': null, '2XX': null } }), {})).resolves.toEqual({ status: 201, body: '' });
    await expect(runCase(testCase({}, { status: null, responses: { '200': null, '202': null } }), {})).rejects.toThrow(/^Expected one of status 200, 202, got 201/);
  });

  it('checks the body against the named schema of the status it got, and says what does not match', async () => {
    const schemas = { S1: { $ref: 'spectest-schemas.json#/$defs/Pet' }, S2: { type: 'array' } };
    answer = { status: 200, type: 'application/json', body: '{"id":"one"}' };
    const failure = await runCase(testCase({}, { responseSchema: 'S1' }), schemas).catch((error: Error) => error.message);
    expect(failure).toContain('Expected the response body to match the response schema of the spec; it does not:\n  - /id must be integer');
    await expect(runCase(testCase({}, { status: null, responses: { '200': 'S2', '201': 'S1' } }), schemas)).rejects.toThrow('(body) must be array');
    answer = { status: 200, type: 'application/json', body: '{"id":7}' };
    await expect(runCase(testCase({}, { responseSchema: 'S1' }), schemas)).resolves.toEqual({ status: 200, body: '{"id":7}' });
    // A name the table does not hold (or one inherited by every object) checks nothing.
    answer = { status: 200, type: 'application/json', body: 'not json' };
    await expect(runCase(testCase({}, { responseSchema: 'constructor' }), schemas)).resolves.toEqual({ status: 200, body: 'not json' });
  });

  it('prints the request with credentials redacted, the response, the reason and the case id', async () => {
    Object.assign(process.env, { AUTH_API_KEY: 'secret-key', AUTH_QUERY_KEY: 'secret-q', AUTH_BEARER: 'secret-token' });
    answer = { status: 500, type: 'text/plain', body: 'x'.repeat(3000) };
    const message = await runCase({ ...testCase(), security: [['api_key', 'query_key', 'bearer']] }, {}).catch((error: Error) => error.message);
    expect(message).toContain('Why this case exists: the spec says so');
    expect(message).toContain(`Request: POST ${baseUrl}pets/%7BpetId%7D?key=redacted`);
    expect(message).toContain('"x-api-key":"<redacted>"');
    expect(message).toContain('"authorization":"<redacted>"');
    expect(message).not.toContain('secret');
    expect(message).toContain('Response body: ' + 'x'.repeat(2000) + '... (3000 chars)');
    expect(message).toContain('Case id: case-1');
  });

  it('says what to do when BASE_URL is not set or the API cannot be reached', async () => {
    delete process.env.BASE_URL;
    await expect(runCase(testCase(), {})).rejects.toThrow('BASE_URL is not set: run e.g. BASE_URL=http://localhost:8080 npm test');
    process.env.BASE_URL = 'http://127.0.0.1:1';
    await expect(runCase(testCase(), {})).rejects.toThrow(/^Could not send POST http:\/\/127\.0\.0\.1:1\/pets\/%7BpetId%7D: /);
  });

  it('checks bodies by content type: JSON parsed, text only against a string schema, none for HEAD, 204 and 304', () => {
    const pet = { $ref: 'spectest-schemas.json#/$defs/Pet' };
    expect(checkResponseBody(pet, 'GET', 200, 'application/problem+json', '{"id":2147483648}')).toEqual(['/id must match format "int32" [schema spectest-schemas.json#/$defs/Pet/properties/id/format]']);
    expect(checkResponseBody(pet, 'GET', 200, 'application/json; charset=utf-8', '{"id":1}')).toBeNull();
    expect(checkResponseBody(pet, 'GET', 200, 'application/json', '')).toEqual(['the response has no body; the spec documents one']);
    expect(checkResponseBody(pet, 'GET', 200, 'application/json', '{')).toEqual([expect.stringMatching(/^the response body is not valid JSON: /)]);
    expect(checkResponseBody(pet, 'GET', 200, 'text/html', '<p>')).toEqual(['the response content type is "text/html", expected JSON matching the schema']);
    expect(checkResponseBody({ type: 'string', maxLength: 2 }, 'GET', 200, 'text/plain', 'abc')).toEqual(['(body) must NOT have more than 2 characters [schema #/maxLength]']);
    for (const [method, status] of [['HEAD', 200], ['GET', 204], ['GET', 304]] as const) expect(checkResponseBody(pet, method, status, null, '')).toBeNull();
    expect(checkResponseBody(null, 'GET', 200, null, 'anything')).toBeNull();
  });

  it('runs one test per case of a group file, each named by its case, with the group schemas', async () => {
    const group = await runtimeFolder();
    await mkdir(join(group, 'cases'));
    await cp(join(group, 'group.test.js'), join(group, 'pets.test.js'));
    const data = { cases: [testCase({}, { responseSchema: 'S1' }), { ...testCase({}, { status: 404 }), title: 'the second' }], schemas: { S1: { type: 'object' } } };
    await writeFile(join(group, 'cases/pets.json'), JSON.stringify(data));
    answer = { status: 200, type: 'application/json', body: '[]' };
    const run = await promisify(execFile)(process.execPath, ['--test', '--test-reporter=tap', 'pets.test.js'], { cwd: group, env: { ...process.env, BASE_URL: baseUrl } }).catch(
      (error: { stdout: string }) => ({ stdout: error.stdout }),
    );
    expect(run.stdout).toMatch(/^not ok 1 - a case$/m);
    expect(run.stdout).toContain('(body) must be object');
    expect(run.stdout).toMatch(/^not ok 2 - the second$/m);
    expect(run.stdout).toMatch(/^# tests 2$/m);
    await rm(group, { recursive: true, force: true });
  });
});
