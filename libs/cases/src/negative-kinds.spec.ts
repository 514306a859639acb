import { TestCase, TestCaseSchema } from '@spectest/contracts';
import { readSpec, stopSpecValidator } from '@spectest/openapi';
import { buildFoundationCases } from './index';

jest.setTimeout(30_000);
afterAll(() => stopSpecValidator());

async function casesOf(document: Record<string, unknown>): Promise<TestCase[]> {
  const spec = await readSpec(document);
  const cases = spec.endpoints.flatMap((e) => buildFoundationCases(spec, e));
  for (const c of cases) expect(TestCaseSchema.parse(c)).toEqual(c);
  return cases;
}

const byKind = (cases: TestCase[], kind: string) => cases.filter((c) => c.kind === kind);
const info = { title: 'N', version: '1' };

describe('constraint cases', () => {
  it('breaks enum, minimum, maximum, maxLength and pattern of parameters, one rule per case', async () => {
    const cases = await casesOf({
      openapi: '3.0.3',
      info,
      paths: {
        '/items/{id}': {
          get: {
            parameters: [
              { name: 'id', in: 'path', required: true, schema: { type: 'integer', minimum: 1 } },
              { name: 'sort', in: 'query', schema: { type: 'string', enum: ['asc', 'desc'] } },
              { name: 'page', in: 'query', schema: { type: 'integer', minimum: 0, maximum: 50, exclusiveMaximum: true } },
              { name: 'code', in: 'query', required: true, schema: { type: 'string', pattern: '^[a-z]{3}$', maxLength: 3 }, example: 'abc' },
              { name: 'X-Trace', in: 'header', schema: { type: 'string', maxLength: 8 } },
            ],
            responses: { '200': { description: 'ok' }, '400': { description: 'bad', content: { 'application/json': { schema: { type: 'object' } } } } },
          },
        },
      },
    });
    const positive = cases[0];
    const broken = cases.filter((c) => ['enum_violation', 'out_of_range', 'too_long', 'pattern_mismatch'].includes(c.kind));
    expect(broken.map((c) => c.id.split('.').slice(1).join('.'))).toEqual([
      'out_of_range.path.id.minimum',
      'enum_violation.query.sort.enum',
      'out_of_range.query.page.minimum',
      'out_of_range.query.page.exclusiveMaximum',
      'too_long.query.code.maxLength',
      'pattern_mismatch.query.code.pattern',
      'too_long.header.X-Trace.maxLength',
    ]);
    expect(broken[0].request.pathParams).toEqual({ id: 0 });
    expect(broken[1].request.query).toEqual({ ...positive.request.query, sort: 'not-in-enum' });
    expect(broken[2].request.query.page).toBe(-1);
    expect(broken[3].request.query.page).toBe(50);
    expect(broken[4].request.query.code).toBe('aaaa');
    expect(new RegExp('^[a-z]{3}$').test(String(broken[5].request.query.code))).toBe(false);
    expect(String(broken[5].request.query.code).length).toBeLessThanOrEqual(3);
    expect(broken[6].request.headers['X-Trace']).toBe('a'.repeat(9));
    for (const c of broken) {
      expect(c.expect).toEqual({ status: null, statusClass: '4xx', responseSchema: { type: 'object' } });
      expect(c.reason).toMatch(/must refuse/);
    }
    expect(broken[0].reason).toContain('must be at least 1 (minimum in the spec)');
  });

  it('reads OpenAPI 3.1 numeric exclusive bounds and integer enums; probes the string rules of a string-or-integer field; skips patterns JavaScript cannot compile and readOnly fields', async () => {
    const cases = await casesOf({
      openapi: '3.1.0',
      info,
      paths: {
        '/m': {
          post: {
            requestBody: {
              required: true,
              content: {
                'application/json': {
                  schema: {
                    type: 'object',
                    required: ['ratio'],
                    properties: {
                      ratio: { type: 'number', exclusiveMinimum: 0, exclusiveMaximum: 1, examples: [0.5] },
                      level: { type: 'integer', enum: [1, 2, 3] },
                      either: { type: ['string', 'integer'], maxLength: 2 },
                      weird: { type: 'string', pattern: '(?<=x' },
                      id: { type: 'string', maxLength: 4, readOnly: true },
                    },
                  },
                },
              },
            },
            responses: { '201': { description: 'created' } },
          },
        },
      },
    });
    const broken = cases.filter((c) => ['enum_violation', 'out_of_range', 'too_long', 'pattern_mismatch'].includes(c.kind));
    expect(broken.map((c) => [c.id.split('.').slice(1).join('.'), (c.request.body as any)[c.id.split('.')[3]]])).toEqual([
      ['out_of_range.body.ratio.exclusiveMinimum', 0],
      ['out_of_range.body.ratio.exclusiveMaximum', 1],
      ['enum_violation.body.level.enum', 4],
      ['too_long.body.either.maxLength', 'aaa'],
    ]);
  });
});

describe('request-level cases', () => {
  const bodyOp = (content: Record<string, unknown>) => ({
    requestBody: { required: true, content },
    responses: { '204': { description: 'done' } },
  });

  it('sends the valid body with an undocumented content type, unless the operation takes any type', async () => {
    const cases = await casesOf({
      openapi: '3.0.3',
      info,
      paths: {
        '/json': { put: bodyOp({ 'application/json': { schema: { type: 'object', properties: { a: { type: 'string' } } } } }) },
        '/any': { put: bodyOp({ '*/*': { schema: { type: 'string' } } }) },
      },
    });
    const [unsupported, ...others] = byKind(cases, 'unsupported_content_type');
    expect(others).toEqual([]);
    expect(unsupported.endpoint).toBe('PUT /json');
    expect(unsupported.request.contentType).toBe('application/x-spectest-unsupported');
    expect(unsupported.request.body).toBe(JSON.stringify(cases[0].request.body));
    expect(unsupported.reason).toContain('415');
  });

  it('drops credentials where security is required, not where it is optional or switched off', async () => {
    const cases = await casesOf({
      openapi: '3.0.3',
      info,
      security: [{ apiKey: [] }, { oauth: ['read'] }],
      paths: {
        '/private': {
          get: {
            responses: {
              '200': { description: 'ok' },
              '401': { description: 'no', content: { 'application/json': { schema: { type: 'object', required: ['error'] } } } },
            },
          },
        },
        '/optional': { get: { security: [{}, { apiKey: [] }], responses: { '200': { description: 'ok' } } } },
        '/public': { get: { security: [], responses: { '200': { description: 'ok' } } } },
      },
      components: {
        securitySchemes: {
          apiKey: { type: 'apiKey', in: 'header', name: 'X-Key' },
          oauth: { type: 'oauth2', flows: { clientCredentials: { tokenUrl: 'https://a.example/token', scopes: { read: 'r' } } } },
        },
      },
    });
    const missing = byKind(cases, 'missing_auth');
    expect(missing.map((c) => c.endpoint)).toEqual(['GET /private']);
    expect(missing[0].request.security).toEqual([]);
    expect(missing[0].expect).toEqual({ status: null, statusClass: '4xx', responseSchema: { type: 'object', required: ['error'] } });
    expect(missing[0].reason).toContain('apiKey, oauth');
    expect(cases.filter((c) => c.kind === 'positive').every((c) => c.request.security === undefined)).toBe(true);
  });
});
