import { TestCase } from '@spectest/contracts';

/**
 * A short machine classification of one failed case, from what came back and what the case expected.
 * It says what happened, not whose fault it is: that judgement (ours, the server's, the spec's) is made
 * by reading the failure, see docs/realworld.md.
 */
export const FAILURE_KINDS = [
  /** The request got no answer (refused, reset, timed out). */
  'no_answer',
  /** Any 5xx, whatever the case expected. */
  'server_error',
  /** The status was right, the body does not match the schema the suite checked it against. */
  'schema_violation',
  /** The status was right, the body is not of the documented media type (e.g. text where JSON is documented). */
  'content_type',
  /** A positive case answered 404: an invented id, a wrong base path, a value the spec states in prose. */
  'not_found',
  /** A positive case answered another 4xx: the valid request the suite built was refused. */
  'positive_rejected',
  /** A negative case answered 2xx: the server took the broken request. */
  'invalid_input_accepted',
  /** Any other status than the one expected (a 3xx, another 4xx than the documented one, 2xx vs 2xx). */
  'status_mismatch',
] as const;
export type FailureKind = (typeof FAILURE_KINDS)[number];

export function failureKind(testCase: TestCase, status: number | null, message: string): FailureKind {
  if (status === null) return 'no_answer';
  if (status >= 500) return 'server_error';
  if (/content type is|content-type is/i.test(message)) return 'content_type';
  if (/response schema|no body; the spec documents one/i.test(message)) return 'schema_violation';
  const positive = testCase.kind === 'positive';
  if (positive && status === 404) return 'not_found';
  if (positive && status >= 400 && status < 500) return 'positive_rejected';
  if (!positive && status >= 200 && status < 300) return 'invalid_input_accepted';
  return 'status_mismatch';
}

/** Whether the operation documents `status` (exactly, as a range such as 4XX, or through `default`). */
export function documentsStatus(document: unknown, testCase: TestCase, status: number): boolean {
  const paths = (document as { paths?: Record<string, Record<string, { responses?: Record<string, unknown> }>> }).paths ?? {};
  const responses = paths[testCase.request.path]?.[testCase.request.method]?.responses ?? {};
  const code = String(status);
  return Object.keys(responses).some((key) => key === code || key.toUpperCase() === `${code[0]}XX` || key === 'default');
}
