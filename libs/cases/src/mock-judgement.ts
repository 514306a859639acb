import { CaseExpectation, CaseRequest, MockJudgement, TestCase } from '@spectest/contracts';

/**
 * Marks every case with whether a mock server that validates requests against the spec can judge it.
 * The rules follow what Prism 5 does in mock mode (request validation and security checks on, static
 * responses), read from its source:
 * - it validates path, query and header parameters, the body (JSON, form, multipart) and its media
 *   type (415), and credentials for apiKey (header, query, cookie), http basic/bearer/digest, oauth2
 *   and openIdConnect schemes (401); an invalid request gets a 4xx;
 * - it does not validate cookie parameters, and a scheme of another type only earns a warning;
 * - a valid request gets the lowest documented 2xx (a `2XX` range counts as 200), else `default` as
 *   200, else the first documented response.
 * A negative case is judged by what it changes in the operation's valid request (the first foundation
 * positive case of its endpoint): a rejection that rests on nothing the mock can see is not judgeable.
 * Cases written by a model are never judgeable: their expectations may rest on server state.
 */
export function markMockJudgement(cases: readonly TestCase[], document: unknown): TestCase[] {
  return cases.map(mockJudgementMarker(cases, document));
}

/**
 * The marking of markMockJudgement one case at a time (for writers that produce cases.json case by case):
 * learns each endpoint's valid request from `cases`, then returns each case given with its `mockJudgement`.
 */
export function mockJudgementMarker(cases: readonly TestCase[], document: unknown): (testCase: TestCase) => TestCase {
  const validRequests = new Map<string, CaseRequest>();
  for (const testCase of cases) {
    if (testCase.kind === 'positive' && testCase.source === 'foundation' && !validRequests.has(testCase.endpoint)) {
      validRequests.set(testCase.endpoint, testCase.request);
    }
  }
  return (testCase) => ({ ...testCase, mockJudgement: judgeCase(testCase, document, validRequests.get(testCase.endpoint)) });
}

const JUDGEABLE: MockJudgement = { judgeable: true };

// Scheme types Prism checks; any other type (mutualTLS, http "hoba", ...) is only a warning to it.
const CHECKED_HTTP_SCHEMES = new Set(['basic', 'bearer', 'digest']);
const CHECKED_API_KEY_PLACES = new Set(['header', 'query', 'cookie']);

function judgeCase(testCase: TestCase, document: unknown, validRequest: CaseRequest | undefined): MockJudgement {
  if (testCase.source === 'ai') {
    return unjudgeable('model_written', 'A model wrote this case; its expectation may rest on server state or rules the spec does not state.');
  }
  const operation = resolve(document, record(resolve(document, record(record(document).paths)[testCase.request.path]))[testCase.request.method]);
  if (testCase.kind === 'positive') return judgePositive(testCase.expect, record(resolve(document, record(operation).responses)), document);
  if (sendsNoCredentials(testCase.request, validRequest)) return judgeMissingAuth(document, record(operation));
  if (!validRequest) return JUDGEABLE;
  const changed = changedParts(testCase.request, validRequest);
  if (changed.length === 0) {
    return unjudgeable('outside_schema', 'The request is the valid one; a rejection would rest on server state or a rule outside the schema.');
  }
  if (changed.every((part) => part === 'cookie')) {
    return unjudgeable('cookie_parameter', 'Only a cookie parameter breaks the spec, and a request-validating mock does not check cookies.');
  }
  return JUDGEABLE;
}

function judgePositive(expect: CaseExpectation, responses: Record<string, unknown>, document: unknown): MockJudgement {
  const answer = mockSuccessStatus(Object.keys(responses));
  if (answer === null) return JUDGEABLE;
  if (!accepts(expect, answer)) {
    return unjudgeable(
      'mock_answers_other_status',
      `A mock answers a valid request with ${answer} (the lowest documented 2xx); this case expects another documented status.`,
    );
  }
  const code = Object.keys(responses).find((c) => c === String(answer) || (/^\dXX$/i.test(c) && c[0] === String(answer)[0])) ?? 'default';
  const content = Object.values(record(record(resolve(document, responses[code])).content)).map((media) => record(resolve(document, media)));
  if (content.some((media) => media.example !== undefined || media.examples !== undefined)) return JUDGEABLE;
  const checksBody = expect.responseSchema !== null || Object.values(expect.responses ?? {}).some((schema) => schema !== null);
  if (checksBody && content.some((media) => unsampledPattern(document, media.schema))) {
    return unjudgeable(
      'mock_answer_unsampled',
      'The success body has a string with a pattern and no example; a mock samples it as a plain string that does not match, so the body check would blame the mock.',
    );
  }
  return JUDGEABLE;
}

/**
 * Whether a static sample of `schema` (Prism: every property, the first oneOf/anyOf branch, one item)
 * reaches a string with a `pattern` and nothing (example, default, const, enum) to take its value from.
 * Each schema object is walked once per document (shared `$ref` targets and cycles included).
 */
function unsampledPattern(document: unknown, value: unknown): boolean {
  const memo = patternMemo(document);
  const walk = (node: unknown): boolean => {
    const schema = record(resolve(document, node));
    const known = memo.get(schema);
    if (known !== undefined) return known;
    memo.set(schema, false); // a cycle back to this schema adds nothing new
    let found = false;
    if (['example', 'examples', 'default', 'const', 'enum'].some((key) => schema[key] !== undefined)) found = false;
    else if (typeof schema.pattern === 'string') found = true;
    else {
      const branches = [
        ...(Array.isArray(schema.allOf) ? schema.allOf : []),
        ...(Array.isArray(schema.oneOf) ? schema.oneOf.slice(0, 1) : []),
        ...(Array.isArray(schema.anyOf) ? schema.anyOf.slice(0, 1) : []),
        ...Object.values(record(schema.properties)),
        ...(schema.items !== undefined ? [schema.items] : []),
      ];
      found = branches.some(walk);
    }
    memo.set(schema, found);
    return found;
  };
  return walk(value);
}

const patternMemos = new WeakMap<object, WeakMap<object, boolean>>();

function patternMemo(document: unknown): WeakMap<object, boolean> {
  const key = record(document);
  let memo = patternMemos.get(key);
  if (!memo) patternMemos.set(key, (memo = new WeakMap()));
  return memo;
}

/** The status Prism answers a valid request with, from the operation's documented response codes. */
export function mockSuccessStatus(codes: string[]): number | null {
  const success = codes.filter((code) => /^2(\d\d|XX)$/i.test(code)).sort()[0];
  if (success) return /XX$/i.test(success) ? 200 : Number(success);
  if (codes.includes('default')) return 200;
  const first = codes[0];
  if (!first) return null;
  return /^\dXX$/i.test(first) ? Number(first[0]) * 100 : Number(first);
}

function accepts(expect: CaseExpectation, status: number): boolean {
  if (expect.responses) {
    return Object.keys(expect.responses).some((code) => code === String(status) || (/^\dXX$/i.test(code) && code[0] === String(status)[0]));
  }
  if (expect.status !== null) return expect.status === status;
  return expect.statusClass[0] === String(status)[0];
}

function sendsNoCredentials(request: CaseRequest, validRequest: CaseRequest | undefined): boolean {
  return Array.isArray(request.security) && request.security.length === 0 && !(validRequest && Array.isArray(validRequest.security) && validRequest.security.length === 0);
}

function judgeMissingAuth(document: unknown, operation: Record<string, unknown>): MockJudgement {
  const requirements = Array.isArray(operation.security) ? operation.security : record(document).security;
  const schemes = record(resolve(document, record(record(document).components).securitySchemes));
  const names = Array.isArray(requirements) ? requirements.flatMap((requirement) => Object.keys(record(requirement))) : [];
  const unchecked = [...new Set(names)].filter((name) => !isCheckedScheme(record(resolve(document, schemes[name])))).sort();
  if (unchecked.length === 0) return JUDGEABLE;
  return unjudgeable(
    'security_scheme_unchecked',
    `The operation accepts ${unchecked.join(', ')}, a security scheme a request-validating mock does not check, so it serves a request without credentials.`,
  );
}

function isCheckedScheme(scheme: Record<string, unknown>): boolean {
  if (scheme.type === 'http') return CHECKED_HTTP_SCHEMES.has(String(scheme.scheme).toLowerCase());
  if (scheme.type === 'apiKey') return CHECKED_API_KEY_PLACES.has(String(scheme.in));
  return scheme.type === 'oauth2' || scheme.type === 'openIdConnect';
}

type RequestPart = 'method' | 'path' | 'query' | 'header' | 'cookie' | 'contentType' | 'body';

/** The parts of the request a negative case changed from the valid one. */
function changedParts(request: CaseRequest, valid: CaseRequest): RequestPart[] {
  const changed: RequestPart[] = [];
  if (request.method !== valid.method) changed.push('method');
  if (!same(request.pathParams, valid.pathParams)) changed.push('path');
  if (!same(request.query, valid.query)) changed.push('query');
  if (!same(withoutCookie(request.headers), withoutCookie(valid.headers))) changed.push('header');
  if (cookieOf(request.headers) !== cookieOf(valid.headers)) changed.push('cookie');
  if (request.contentType !== valid.contentType) changed.push('contentType');
  if (!same(request.body, valid.body)) changed.push('body');
  return changed;
}

function withoutCookie(headers: Record<string, string>): Record<string, string> {
  return Object.fromEntries(Object.entries(headers).filter(([name]) => name.toLowerCase() !== 'cookie'));
}

function cookieOf(headers: Record<string, string>): string | undefined {
  return Object.entries(headers).find(([name]) => name.toLowerCase() === 'cookie')?.[1];
}

function same(a: unknown, b: unknown): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}

function unjudgeable(code: NonNullable<MockJudgement['code']>, reason: string): MockJudgement {
  return { judgeable: false, code, reason };
}

/** Follows a local `$ref` (the document may keep its references); anything else is returned as is. */
function resolve(document: unknown, value: unknown, depth = 0): unknown {
  const ref = record(value).$ref;
  if (typeof ref !== 'string' || !ref.startsWith('#/') || depth > 32) return value;
  let target: unknown = document;
  for (const key of ref.slice(2).split('/')) target = record(target)[key.replace(/~1/g, '/').replace(/~0/g, '~')];
  return resolve(document, target, depth + 1);
}

function record(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
