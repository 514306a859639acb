import { TestCase } from '@spectest/contracts';
import { markMockJudgement, mockSuccessStatus } from './mock-judgement';

const document = {
  openapi: '3.1.0',
  security: [{ bearer: [] }],
  components: {
    securitySchemes: {
      bearer: { type: 'http', scheme: 'bearer' },
      session: { $ref: '#/components/x-schemes/session' },
      mtls: { type: 'mutualTLS' },
    },
    'x-schemes': { session: { type: 'apiKey', in: 'cookie', name: 'sid' } },
    schemas: { Code: { type: 'string', pattern: '^[A-Z]{3}$' } },
  },
  paths: {
    '/items': {
      get: {
        responses: {
          '200': { content: { 'application/json': { schema: { type: 'array', items: { $ref: '#/components/schemas/Code' } } } } },
        },
      },
      post: {
        security: [{ session: [] }],
        responses: { '201': { content: { 'application/json': { schema: { type: 'object' } } } }, '202': { description: 'queued' } },
      },
    },
    '/audit': { get: { security: [{ mtls: [] }], responses: { default: { description: 'entries' } } } },
  },
};

function testCase(partial: Partial<TestCase> & Pick<TestCase, 'id' | 'kind'>, request: Partial<TestCase['request']> = {}): TestCase {
  return {
    endpoint: `${(request.method ?? 'get').toUpperCase()} ${request.path ?? '/items'}`,
    group: 'items',
    source: 'foundation',
    title: partial.id,
    reason: 'why',
    expect: { status: 200, statusClass: '2xx', responseSchema: null },
    ...partial,
    request: { method: 'get', path: '/items', pathParams: {}, query: { limit: 5 }, headers: { Cookie: 'lang=en' }, contentType: null, ...request },
  };
}

const judged = (cases: TestCase[]) => Object.fromEntries(markMockJudgement(cases, document).map((c) => [c.id, c.mockJudgement]));

describe('markMockJudgement', () => {
  it('judges a negative case by what it changes in the valid request', () => {
    const marks = judged([
      testCase({ id: 'valid', kind: 'positive', expect: { status: 200, statusClass: '2xx', responseSchema: { type: 'array' } } }),
      testCase({ id: 'query', kind: 'out_of_range' }, { query: { limit: 500 } }),
      testCase({ id: 'cookie', kind: 'enum_violation' }, { headers: { Cookie: 'lang=xx' } }),
      testCase({ id: 'same', kind: 'wrong_type' }),
      testCase({ id: 'auth', kind: 'missing_auth' }, { security: [] }),
      testCase({ id: 'ai', kind: 'ai', source: 'ai' }, { query: { limit: 500 } }),
    ]);
    expect(marks.query).toEqual({ judgeable: true });
    expect(marks.cookie).toMatchObject({ judgeable: false, code: 'cookie_parameter' });
    expect(marks.same).toMatchObject({ judgeable: false, code: 'outside_schema' });
    expect(marks.auth).toEqual({ judgeable: true });
    expect(marks.ai).toMatchObject({ judgeable: false, code: 'model_written' });
    // The response schema has a pattern and no example: a mock's sampled answer would not match it.
    expect(marks.valid).toMatchObject({ judgeable: false, code: 'mock_answer_unsampled' });
  });

  it('marks missing credentials judgeable only for schemes the mock checks, following $refs', () => {
    const marks = judged([
      testCase({ id: 'cookie-key', kind: 'missing_auth' }, { method: 'post', security: [] }),
      testCase({ id: 'mtls', kind: 'missing_auth', endpoint: 'GET /audit' }, { path: '/audit', security: [] }),
    ]);
    expect(marks['cookie-key']).toEqual({ judgeable: true });
    expect(marks.mtls).toMatchObject({ judgeable: false, code: 'security_scheme_unchecked', reason: expect.stringContaining('mtls') });
  });

  it('marks a positive case that expects a success the mock does not pick', () => {
    const marks = judged([
      testCase({ id: 'lowest', kind: 'positive', expect: { status: 201, statusClass: '2xx', responseSchema: null } }, { method: 'post' }),
      testCase({ id: 'either', kind: 'positive', expect: { status: null, statusClass: '2xx', responseSchema: null, responses: { '201': null, '202': null } } }, { method: 'post' }),
      testCase({ id: 'other', kind: 'positive', expect: { status: 202, statusClass: '2xx', responseSchema: null } }, { method: 'post' }),
      testCase({ id: 'default', kind: 'positive', endpoint: 'GET /audit', expect: { status: null, statusClass: '2xx', responseSchema: null } }, { path: '/audit' }),
    ]);
    expect(marks.lowest).toEqual({ judgeable: true });
    expect(marks.either).toEqual({ judgeable: true });
    expect(marks.other).toMatchObject({ judgeable: false, code: 'mock_answers_other_status' });
    expect(marks.default).toEqual({ judgeable: true });
  });

  it('picks the status a mock answers a valid request with', () => {
    expect(mockSuccessStatus(['default', '204', '201'])).toBe(201);
    expect(mockSuccessStatus(['2XX', '404'])).toBe(200);
    expect(mockSuccessStatus(['default', '404'])).toBe(200);
    expect(mockSuccessStatus(['302', '301'])).toBe(302);
    expect(mockSuccessStatus([])).toBeNull();
  });
});
