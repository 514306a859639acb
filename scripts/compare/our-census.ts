import { TestCase } from '@spectest/contracts';
import { Census } from './collection-census';

const KIND_ROWS: Partial<Record<TestCase['kind'], string>> = {
  missing_required_param: 'missing required parameter',
  missing_required_field: 'missing required body field',
  out_of_range: 'number past minimum / maximum',
  too_long: 'string past maxLength',
  enum_violation: 'value outside enum',
  pattern_mismatch: 'string against pattern',
  wrong_type: 'wrong type',
  unsupported_content_type: 'undocumented request content type',
  missing_auth: 'no credentials',
};

/** Our foundation cases in the rows of the Portman census: each case is one request with a status check, and a schema check when one is documented. */
export function censusOfCases(cases: TestCase[], operations: number): Census {
  const requests: Record<string, number> = {};
  const assertions: Record<string, number> = {};
  const bump = (map: Record<string, number>, key: string) => (map[key] = (map[key] ?? 0) + 1);
  for (const testCase of cases) {
    bump(requests, rowOf(testCase));
    bump(assertions, 'status');
    const schemas = testCase.expect.responses ? Object.values(testCase.expect.responses) : [testCase.expect.responseSchema];
    if (schemas.some((s) => s !== null && s !== undefined)) bump(assertions, 'body against response schema');
  }
  return { operations, requests, assertions };
}

function rowOf(testCase: TestCase): string {
  if (testCase.kind !== 'positive') return KIND_ROWS[testCase.kind] ?? 'other';
  const suffix = /\.positive(.*)$/.exec(testCase.id)?.[1] ?? '';
  if (suffix === '' || /^~\d+$/.test(suffix)) return 'positive: main request of an operation';
  if (/^\.(example|request)\./.test(suffix)) return 'positive: another named example or request media type';
  return 'positive: another documented 2xx or response media type';
}
