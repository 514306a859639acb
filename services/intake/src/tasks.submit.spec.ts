import { signTestToken } from '@spectest/auth';
import { TaskSnapshotSchema } from '@spectest/contracts';
import { IntakeTestApp, TEST_JWT_SECRET, fixture, startIntakeTestApp } from './testing/intake-test-app';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const MAX_SPEC_BYTES = 8192; // petstore.yaml (2.8 KB) fits, bookstore.openapi31.yaml (23 KB) does not

// Generous: other suites share the 2 cores, and the first parse of a process starts the validator worker.
jest.setTimeout(30_000);

let t: IntakeTestApp;
beforeAll(async () => {
  t = await startIntakeTestApp({ env: { MAX_SPEC_BYTES: String(MAX_SPEC_BYTES), RATE_LIMIT_PER_MINUTE: '1000', MAX_ACTIVE_TASKS_PER_TENANT: '100' } });
});
afterAll(async () => {
  await t?.stop();
});

let tenantNo = 0;
const freshTenant = () => `submit-${++tenantNo}`;

async function expectProblem(res: Response, status: number, code: string) {
  const text = await res.text();
  expect({ status: res.status, type: res.headers.get('content-type') }).toEqual({ status, type: expect.stringMatching(/^application\/problem\+json/) });
  const body = JSON.parse(text);
  expect(body).toMatchObject({ type: expect.any(String), title: expect.any(String), status, detail: expect.any(String), code });
  return body;
}

const storedTasks = async (tenant: string) => (await t.dataSource.query('SELECT id, name, idempotency_key FROM tasks WHERE tenant = $1', [tenant])) as { id: string; name: string }[];

describe('POST /v1/tasks: accepted', () => {
  it('a JSON body with the spec as a string answers 202 with the links, and stores the task for the tenant', async () => {
    const tenant = freshTenant();
    const res = await t.submit({ spec: fixture('petstore.yaml'), name: 'petstore' }, tenant);
    expect(res.status).toBe(202);
    const body = await res.json();
    expect(body).toEqual({
      taskId: expect.stringMatching(UUID),
      status: 'queued',
      statusUrl: `/v1/tasks/${body.taskId}`,
      eventsUrl: `/v1/tasks/${body.taskId}/events`,
      artifactUrl: `/v1/tasks/${body.taskId}/artifact`,
      socket: { namespace: '/tasks', taskId: body.taskId },
    });
    expect(res.headers.get('location')).toBe(`/v1/tasks/${body.taskId}`);
    expect(await storedTasks(tenant)).toEqual([expect.objectContaining({ id: body.taskId, name: 'petstore' })]);

    const done = await t.waitFor(body.taskId, tenant);
    expect(done.status).toBe('completed');
  });

  it('a JSON body with the spec as an object is accepted and completes', async () => {
    const tenant = freshTenant();
    const res = await t.submit({ spec: JSON.parse(fixture('petstore.swagger2.json')) }, tenant);
    expect(res.status).toBe(202);
    const { taskId } = await res.json();
    const done = await t.waitFor(taskId, tenant);
    expect(done).toMatchObject({ status: 'completed', name: 'task', tenant, result: { caseCount: expect.any(Number) } });
    expect(done.result!.caseCount).toBeGreaterThan(0);
  });

  it('multipart with a file field `spec` (plus text fields name and options) is accepted', async () => {
    const tenant = freshTenant();
    const form = new FormData();
    form.append('spec', new Blob([fixture('petstore.yaml')], { type: 'application/yaml' }), 'petstore.yaml');
    form.append('name', 'uploaded pets');
    form.append('options', JSON.stringify({ formats: ['postman'] }));
    const res = await t.call('/v1/tasks', { method: 'POST', tenant, body: form });
    expect(res.status).toBe(202);
    const { taskId } = await res.json();
    const done = await t.waitFor(taskId, tenant);
    expect(done).toMatchObject({ status: 'completed', name: 'uploaded pets' });
    const [row] = await t.dataSource.query('SELECT options FROM tasks WHERE id = $1', [taskId]);
    expect(row.options).toEqual({ formats: ['postman'] });
  });

  it('multipart without a name takes the file name', async () => {
    const tenant = freshTenant();
    const form = new FormData();
    form.append('spec', new Blob([fixture('petstore.yaml')]), 'my-api.yaml');
    const res = await t.call('/v1/tasks', { method: 'POST', tenant, body: form });
    expect(res.status).toBe(202);
    const { taskId } = await res.json();
    expect((await t.waitFor(taskId, tenant, () => true)).name).toBe('my-api');
  });

  it('Prefer: wait=30 answers 200 with the completed snapshot, in the documented shape', async () => {
    const tenant = freshTenant();
    const res = await t.submit({ spec: fixture('petstore.yaml'), name: 'petstore' }, tenant, { prefer: 'wait=30' });
    expect(res.status).toBe(200);
    expect(res.headers.get('preference-applied')).toBe('wait=30');
    const snapshot = await res.json();
    expect(TaskSnapshotSchema.strict().safeParse(snapshot).error).toBeUndefined();
    expect(snapshot).toMatchObject({
      name: 'petstore',
      tenant,
      status: 'completed',
      progress: 100,
      error: null,
      result: { caseCount: expect.any(Number), artifact: { sha256: expect.stringMatching(/^[0-9a-f]{64}$/), bytes: expect.any(Number) } },
    });
    expect(snapshot.result.caseCount).toBeGreaterThan(0);
    expect(snapshot.stages.map((s: { name: string }) => s.name)).toEqual(['parsing', 'foundation', 'enhancing', 'packaging']);
    expect(snapshot.seq).toBeGreaterThan(1);
    // the same snapshot as GET
    const got = await (await t.call(`/v1/tasks/${snapshot.taskId}`, { tenant })).json();
    expect(got).toEqual(snapshot);
  });
});

describe('POST /v1/tasks: refused', () => {
  const tenant = 'refusals';

  it('400 without a spec, for an empty body, a non-JSON body and invalid JSON', async () => {
    await expectProblem(await t.submit({ name: 'no spec' }, tenant), 400, 'invalid_request');
    await expectProblem(await t.submit({}, tenant), 400, 'invalid_request');
    await expectProblem(await t.call('/v1/tasks', { method: 'POST', tenant }), 400, 'invalid_request');
    await expectProblem(await t.call('/v1/tasks', { method: 'POST', tenant, headers: { 'content-type': 'application/json' }, body: '{"spec": ' }), 400, 'invalid_request');
    await expectProblem(await t.call('/v1/tasks', { method: 'POST', tenant, headers: { 'content-type': 'application/json' }, body: '"just a string"' }), 400, 'invalid_request');
    await expectProblem(await t.call('/v1/tasks', { method: 'POST', tenant, headers: { 'content-type': 'application/json' }, body: '[1,2]' }), 400, 'invalid_request');
    await expectProblem(await t.submit({ spec: 42 }, tenant), 400, 'invalid_request');
    await expectProblem(await t.submit({ spec: '   \n' }, tenant), 400, 'invalid_spec');
    await expectProblem(await t.submit({ spec: fixture('petstore.yaml'), extra: true, name: '' }, tenant), 400, 'invalid_request');
    const form = new FormData();
    form.append('name', 'no file');
    await expectProblem(await t.call('/v1/tasks', { method: 'POST', tenant, body: form }), 400, 'invalid_request');
    expect(await storedTasks(tenant)).toEqual([]);
  });

  it('400 for invalid options, JSON or multipart, with details naming the field', async () => {
    const bad = await expectProblem(await t.submit({ spec: fixture('petstore.yaml'), options: { timeoutSeconds: 0 } }, tenant), 400, 'invalid_request');
    expect(JSON.stringify(bad.details)).toContain('timeoutSeconds');
    await expectProblem(await t.submit({ spec: fixture('petstore.yaml'), options: { formats: ['junit'] } }, tenant), 400, 'invalid_request');
    await expectProblem(await t.submit({ spec: fixture('petstore.yaml'), options: { typo: 1 } }, tenant), 400, 'invalid_request');
    await expectProblem(await t.submit({ spec: fixture('petstore.yaml'), options: { ai: { provider: 'skynet' } } }, tenant), 400, 'invalid_request');
    for (const options of ['{not json', JSON.stringify({ formats: [] }), '[]', 'null']) {
      const form = new FormData();
      form.append('spec', new Blob([fixture('petstore.yaml')]), 'petstore.yaml');
      form.append('options', options);
      await expectProblem(await t.call('/v1/tasks', { method: 'POST', tenant, body: form }), 400, 'invalid_request');
    }
    expect(await storedTasks(tenant)).toEqual([]);
  });

  it('400 for a multipart upload with the file under another field name, or two files', async () => {
    const other = new FormData();
    other.append('file', new Blob([fixture('petstore.yaml')]), 'petstore.yaml');
    await expectProblem(await t.call('/v1/tasks', { method: 'POST', tenant, body: other }), 400, 'invalid_request');
    const two = new FormData();
    two.append('spec', new Blob([fixture('petstore.yaml')]), 'a.yaml');
    two.append('spec', new Blob([fixture('petstore.yaml')]), 'b.yaml');
    await expectProblem(await t.call('/v1/tasks', { method: 'POST', tenant, body: two }), 400, 'invalid_request');
    expect(await storedTasks(tenant)).toEqual([]);
  });

  it('413 payload_too_large over MAX_SPEC_BYTES, as JSON (string and object) and as multipart', async () => {
    const big = fixture('bookstore.openapi31.yaml');
    expect(big.length).toBeGreaterThan(MAX_SPEC_BYTES);
    await expectProblem(await t.submit({ spec: big }, tenant), 413, 'payload_too_large');
    await expectProblem(await t.submit({ spec: { openapi: '3.0.3', padding: 'x'.repeat(MAX_SPEC_BYTES) } }, tenant), 413, 'payload_too_large');
    // past the JSON body limit itself (2x the spec limit), refused by the body parser
    await expectProblem(await t.submit({ spec: 'x'.repeat(MAX_SPEC_BYTES * 3 + 64 * 1024) }, tenant), 413, 'payload_too_large');
    const form = new FormData();
    form.append('spec', new Blob([big]), 'bookstore.yaml');
    await expectProblem(await t.call('/v1/tasks', { method: 'POST', tenant, body: form }), 413, 'payload_too_large');
    expect(await storedTasks(tenant)).toEqual([]);
  });

  it('400 for a binary spec', async () => {
    const form = new FormData();
    form.append('spec', new Blob([new Uint8Array([0x50, 0x4b, 0x03, 0x04, 0, 0, 0])]), 'x.zip');
    await expectProblem(await t.call('/v1/tasks', { method: 'POST', tenant, body: form }), 400, 'invalid_spec');
  });

  it('an unsupported content type is a 4xx problem, never a 500', async () => {
    const res = await t.call('/v1/tasks', { method: 'POST', tenant, headers: { 'content-type': 'text/plain' }, body: 'openapi: 3.0.0' });
    expect(res.status).toBeGreaterThanOrEqual(400);
    expect(res.status).toBeLessThan(500);
    expect(res.headers.get('content-type')).toMatch(/^application\/problem\+json/);
  });
});

describe('POST /v1/tasks: text no database can store, and nesting', () => {
  const tenant = 'unstorable';
  const pet = () => JSON.parse(fixture('petstore.swagger2.json'));
  const withDescription = (description: string) => {
    const spec = pet();
    spec.info.description = description;
    return spec;
  };
  const form = (spec: string, fields: Record<string, string> = {}) => {
    const f = new FormData();
    f.append('spec', new Blob([spec]), 'spec.yaml');
    for (const [k, v] of Object.entries(fields)) f.append(k, v);
    return t.call('/v1/tasks', { method: 'POST', tenant, body: f });
  };
  const pointerOf = (body: { details?: { pointer?: string }[] }) => body.details?.[0]?.pointer;

  it('400 invalid_spec naming the JSON pointer for a NUL or an unpaired surrogate in a spec object', async () => {
    const nul = await expectProblem(await t.submit({ spec: withDescription('a\u0000b') }, tenant), 400, 'invalid_spec');
    expect([pointerOf(nul), nul.detail]).toEqual(['/info/description', expect.stringContaining('/info/description')]);
    const spec = pet();
    spec.tags = [{ name: 'ok' }, { name: 'x\ud800' }];
    expect(pointerOf(await expectProblem(await t.submit({ spec }, tenant), 400, 'invalid_spec'))).toBe('/tags/1/name');
    const key = pet();
    key.paths['/p\udc00'] = {};
    expect(pointerOf(await expectProblem(await t.submit({ spec: key }, tenant), 400, 'invalid_spec'))).toBe('/paths');
  });

  it('400 invalid_spec naming the pointer when the spec is JSON or YAML text with such an escape, in JSON or multipart', async () => {
    const jsonText = JSON.stringify(withDescription('a\u0000b'));
    expect(jsonText).toContain('\\u0000');
    expect(pointerOf(await expectProblem(await t.submit({ spec: jsonText }, tenant), 400, 'invalid_spec'))).toBe('/info/description');
    const yaml = fixture('petstore.yaml').replace(/^(\s+)title: .*$/m, '$1title: "Pets \\0 and \\ud800"');
    expect(pointerOf(await expectProblem(await t.submit({ spec: yaml }, tenant), 400, 'invalid_spec'))).toBe('/info/title');
    expect(pointerOf(await expectProblem(await form(yaml), 400, 'invalid_spec'))).toBe('/info/title');
    expect(pointerOf(await expectProblem(await form(jsonText), 400, 'invalid_spec'))).toBe('/info/description');
    // The same characters where YAML does not read escapes are plain text, and fine.
    const literal = fixture('petstore.yaml').replace(/^(\s+)title: .*$/m, "$1title: 'Pets \\0 and \\ud800' # \\u0000");
    expect((await t.submit({ spec: literal }, 'unstorable-but-fine')).status).toBe(202);
  });

  it('400 invalid_request naming the pointer for a NUL in name or options, in JSON or multipart', async () => {
    const spec = fixture('petstore.yaml');
    expect(pointerOf(await expectProblem(await t.submit({ spec, name: 'x\u0000y' }, tenant), 400, 'invalid_request'))).toBe('/name');
    const model = { ai: { provider: 'none', model: 'm\u0000' } };
    expect(pointerOf(await expectProblem(await t.submit({ spec, options: model }, tenant), 400, 'invalid_request'))).toBe('/options/ai/model');
    expect(pointerOf(await expectProblem(await form(spec, { name: 'x\u0000y' }), 400, 'invalid_request'))).toBe('/name');
    expect(pointerOf(await expectProblem(await form(spec, { options: JSON.stringify(model) }), 400, 'invalid_request'))).toBe('/options/ai/model');
    expect(await storedTasks(tenant)).toEqual([]);
  });

  it('400 spec_too_deep for a spec object nested 300 or 5,000 deep, and 400 for options nested deep', async () => {
    for (const levels of [300, 5_000]) {
      const body = '{"spec":{"openapi":"3.0.3","info":{"title":"d","version":"1"},"paths":{},"x":' + '{"a":'.repeat(levels) + '1' + '}'.repeat(levels) + '}}';
      const res = await t.call('/v1/tasks', { method: 'POST', tenant, headers: { 'content-type': 'application/json' }, body });
      expect(pointerOf(await expectProblem(res, 400, 'spec_too_deep'))).toMatch(/^\/x(\/a)+$/);
    }
    const options = '{"spec":"openapi: 3.0.3","options":' + '['.repeat(1000) + ']'.repeat(1000) + '}';
    await expectProblem(await t.call('/v1/tasks', { method: 'POST', tenant, headers: { 'content-type': 'application/json' }, body: options }), 400, 'invalid_request');
    expect(await storedTasks(tenant)).toEqual([]);
  });

  it('a file name that would bring such text into the task name is not used', async () => {
    const boundary = 'b0undary';
    const body = Buffer.from(
      `--${boundary}\r\ncontent-disposition: form-data; name="spec"; filename*=UTF-8''pets%00store.yaml\r\n\r\n${fixture('petstore.yaml')}\r\n--${boundary}--\r\n`,
    );
    const res = await t.call('/v1/tasks', { method: 'POST', tenant: 'unstorable-but-fine', headers: { 'content-type': `multipart/form-data; boundary=${boundary}` }, body });
    expect(res.status).toBe(202);
    const { taskId } = await res.json();
    expect((await t.waitFor(taskId, 'unstorable-but-fine', () => true)).name).toBe('task');
  });

  it('accepts escaped surrogate pairs and other control characters', async () => {
    const res = await t.submit({ spec: withDescription('emoji \ud83d\ude00 and \u0001'), name: 'ok \ud83d\ude00' }, 'unstorable-but-fine');
    expect(res.status).toBe(202);
  });
});

describe('authentication', () => {
  it('401 unauthorized without a token, with a bad token, with a token signed by another secret, and with a non-Bearer scheme', async () => {
    const foreign = await signTestToken('another-secret-0123456789', { sub: 'x' });
    const expired = await signTestToken(TEST_JWT_SECRET, { sub: 'x' }, Math.floor(Date.now() / 1000) - 60);
    // AUTH_REQUIRE_EXP defaults to true in jwt mode: a token that never expires is refused.
    const forever = await signTestToken(TEST_JWT_SECRET, { sub: 'x' }, null);
    for (const authorization of [undefined, 'Bearer nope', `Bearer ${foreign}`, `Bearer ${expired}`, `Bearer ${forever}`, 'Basic dXNlcjpwYXNz']) {
      for (const [method, path] of [['GET', '/v1/tasks'], ['POST', '/v1/tasks'], ['GET', '/v1/tasks/00000000-0000-4000-8000-000000000000']] as const) {
        const res = await t.call(path, { method, auth: false, headers: authorization ? { authorization } : {} });
        await expectProblem(res, 401, 'unauthorized');
      }
    }
  });

  it('?access_token= is refused on every route but the SSE one', async () => {
    const token = await t.token('acme');
    await expectProblem(await t.call(`/v1/tasks?access_token=${token}`, { auth: false }), 401, 'unauthorized');
    await expectProblem(await t.call(`/v1/tasks/00000000-0000-4000-8000-000000000000?access_token=${token}`, { auth: false }), 401, 'unauthorized');
    await expectProblem(await t.call(`/v1/tasks/00000000-0000-4000-8000-000000000000/artifact?access_token=${token}`, { auth: false }), 401, 'unauthorized');
    // accepted on the SSE route: past auth, the unknown task is a 404
    await expectProblem(await t.call(`/v1/tasks/00000000-0000-4000-8000-000000000000/events?access_token=${token}`, { auth: false }), 404, 'not_found');
    await expectProblem(await t.call(`/v1/tasks/00000000-0000-4000-8000-000000000000/events?access_token=bad`, { auth: false }), 401, 'unauthorized');
  });
});

describe('unknown and malformed ids', () => {
  it('404 not_found for an unknown id and for a malformed id, on every task route', async () => {
    for (const id of ['00000000-0000-4000-8000-000000000000', 'not-a-uuid', '1', "x'%20OR%201=1"]) {
      await expectProblem(await t.call(`/v1/tasks/${id}`), 404, 'not_found');
      await expectProblem(await t.call(`/v1/tasks/${id}/events`), 404, 'not_found');
      await expectProblem(await t.call(`/v1/tasks/${id}/artifact`), 404, 'not_found');
      await expectProblem(await t.call(`/v1/tasks/${id}/cancel`, { method: 'POST' }), 404, 'not_found');
    }
  });
});

describe('Idempotency-Key', () => {
  it('the same key and body answer the same task, and only one is stored', async () => {
    const tenant = freshTenant();
    const body = { spec: fixture('petstore.yaml'), name: 'idem' };
    const first = await t.submit(body, tenant, { 'idempotency-key': 'key-1' });
    const second = await t.submit(body, tenant, { 'idempotency-key': 'key-1' });
    expect(first.status).toBe(202);
    expect(second.status).toBe(202);
    const a = await first.json();
    const b = await second.json();
    expect(b.taskId).toBe(a.taskId);
    expect(await storedTasks(tenant)).toEqual([expect.objectContaining({ id: a.taskId, idempotency_key: 'key-1' })]);
  });

  it('concurrent submissions with one key create one task', async () => {
    const tenant = freshTenant();
    const body = { spec: fixture('petstore.yaml'), name: 'race' };
    const answers = await Promise.all([1, 2, 3, 4].map(() => t.submit(body, tenant, { 'idempotency-key': 'race-key' })));
    const ids = await Promise.all(answers.map(async (r) => (expect(r.status).toBe(202), (await r.json()).taskId)));
    expect(new Set(ids).size).toBe(1);
    expect(await storedTasks(tenant)).toHaveLength(1);
  });

  it('the same key with a different body is 409 conflict', async () => {
    const tenant = freshTenant();
    expect((await t.submit({ spec: fixture('petstore.yaml'), name: 'one' }, tenant, { 'idempotency-key': 'key-2' })).status).toBe(202);
    await expectProblem(await t.submit({ spec: fixture('petstore.yaml'), name: 'two' }, tenant, { 'idempotency-key': 'key-2' }), 409, 'conflict');
    await expectProblem(await t.submit({ spec: fixture('petstore.swagger2.json'), name: 'one' }, tenant, { 'idempotency-key': 'key-2' }), 409, 'conflict');
    expect(await storedTasks(tenant)).toHaveLength(1);
  });

  it('keys are per tenant: another tenant with the same key gets its own task', async () => {
    const body = { spec: fixture('petstore.yaml'), name: 'shared key' };
    const a = await (await t.submit(body, freshTenant(), { 'idempotency-key': 'same' })).json();
    const b = await (await t.submit(body, freshTenant(), { 'idempotency-key': 'same' })).json();
    expect(a.taskId).not.toBe(b.taskId);
  });

  it('an over-long key is 400', async () => {
    await expectProblem(await t.submit({ spec: fixture('petstore.yaml') }, freshTenant(), { 'idempotency-key': 'k'.repeat(201) }), 400, 'invalid_request');
  });
});
