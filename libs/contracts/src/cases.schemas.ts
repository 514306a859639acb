import { z } from 'zod';

export const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'] as const;
export const HttpMethodSchema = z.enum(HTTP_METHODS);
export type HttpMethod = z.infer<typeof HttpMethodSchema>;

/** One operation of the spec, as the stages see it. `key` is "METHOD /path", unique per spec. */
export const EndpointSchema = z.object({
  key: z.string(),
  method: HttpMethodSchema,
  path: z.string(),
  operationId: z.string().nullable(),
  summary: z.string().nullable(),
  tags: z.array(z.string()),
  /** File group of the generated test project: the first tag, else the first path segment. */
  group: z.string(),
});
export type Endpoint = z.infer<typeof EndpointSchema>;

export const CASE_KINDS = [
  'positive',
  'missing_required_param',
  'missing_required_field',
  'wrong_type',
  /** A parameter or body field outside its documented enum / minimum-maximum / maxLength / pattern. */
  'enum_violation',
  'out_of_range',
  'too_long',
  'pattern_mismatch',
  /** The body sent with a media type the operation does not document (expects 415 or another 4xx). */
  'unsupported_content_type',
  /** No credentials where the operation requires security (request.security is []; expects 401/403). */
  'missing_auth',
  'ai',
] as const;
export const CaseKindSchema = z.enum(CASE_KINDS);
export type CaseKind = z.infer<typeof CaseKindSchema>;

const ScalarSchema = z.union([z.string(), z.number(), z.boolean()]);

/** The request a case sends, relative to the base URL. */
export const CaseRequestSchema = z.object({
  method: HttpMethodSchema,
  /** Path template of the spec, e.g. /pets/{petId}. */
  path: z.string(),
  pathParams: z.record(z.string(), ScalarSchema),
  query: z.record(z.string(), z.union([ScalarSchema, z.array(ScalarSchema)])),
  headers: z.record(z.string(), z.string()),
  contentType: z.string().nullable(),
  body: z.unknown().optional(),
  /**
   * Optional. Security requirement alternatives this request uses, each a list of security scheme
   * names of the spec; `[]` sends no credentials (e.g. a missing-auth case). Absent: the operation's
   * documented security. The generated suites fill in credentials from AUTH_<SCHEME> variables.
   */
  security: z.array(z.array(z.string())).optional(),
});
export type CaseRequest = z.infer<typeof CaseRequestSchema>;

/** What a conforming server answers. `status` wins over `statusClass` when both are set. */
export const CaseExpectationSchema = z.object({
  status: z.number().int().min(100).max(599).nullable(),
  statusClass: z.enum(['2xx', '3xx', '4xx', '5xx']),
  /** JSON Schema of the response body for that status, dereferenced; null when the spec documents none. */
  responseSchema: z.unknown().nullable(),
  /**
   * Optional. Several statuses are right answers (an operation documenting 200 and 201 answers one
   * request with one of them): each documented status (exact code, or a range such as "2XX") with the
   * body schema to check when it is the one returned (null: no body documented). When set, `status` is
   * null, the answer's status must be one of these keys, and `responseSchema` is the targeted answer's.
   */
  responses: z.record(z.string(), z.unknown().nullable()).optional(),
});
export type CaseExpectation = z.infer<typeof CaseExpectationSchema>;

/** Why a mock server that validates requests against the spec (such as Prism) cannot judge a case. */
export const MOCK_UNJUDGEABLE_CODES = [
  /** Written by a model: its expectation may rest on server state or rules the spec does not state. */
  'model_written',
  /** The request breaks only a cookie parameter; request validators (Prism) do not check cookies. */
  'cookie_parameter',
  /** The request is the valid one; a rejection would rest on server state or a rule outside the schema. */
  'outside_schema',
  /** Missing credentials for a security scheme the mock does not check (mutualTLS, an unknown http scheme). */
  'security_scheme_unchecked',
  /** A mock answers the lowest documented 2xx (else `default`, else the first response); the case accepts another. */
  'mock_answers_other_status',
  /** The mock builds its answer from a schema with a `pattern` and no example; its sample does not match, a server's would. */
  'mock_answer_unsampled',
] as const;

/**
 * Optional. Whether a mock server that validates requests against the spec (Prism in mock mode,
 * request validation on, static responses) can tell this case's expectation right from wrong. A judgeable
 * case passes against such a mock when the suite is right; the others need a real implementation.
 */
export const MockJudgementSchema = z.object({
  judgeable: z.boolean(),
  /** When not judgeable: why, as a stable code. */
  code: z.enum(MOCK_UNJUDGEABLE_CODES).optional(),
  /** When not judgeable: why, for people. */
  reason: z.string().optional(),
});
export type MockJudgement = z.infer<typeof MockJudgementSchema>;

/** One generated test case: the unit of cases.json, the node:test suite and the Postman collection. */
export const TestCaseSchema = z.object({
  id: z.string(),
  endpoint: z.string(),
  group: z.string(),
  source: z.enum(['foundation', 'ai']),
  kind: CaseKindSchema,
  title: z.string(),
  /** Why this case exists, for the person reading a failure. */
  reason: z.string(),
  request: CaseRequestSchema,
  expect: CaseExpectationSchema,
  /** Optional. Whether a request-validating mock can judge the case; set when the artifact is built. */
  mockJudgement: MockJudgementSchema.optional(),
});
export type TestCase = z.infer<typeof TestCaseSchema>;
