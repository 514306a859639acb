import { CaseExpectation } from '@spectest/contracts';
import { asRecord, preferredMediaType } from './operation-view';

/**
 * What a valid request should get: the lowest documented 2xx; a `2XX` range or only `default` give
 * the class without a status; with no success documented at all, the lowest documented 3xx-5xx status.
 */
export function expectedSuccess(responses: Record<string, Record<string, unknown>>): CaseExpectation {
  const codes = Object.keys(responses);
  // 1xx answers are interim (101 is a protocol switch that fetch cannot follow): never what a case expects.
  const exact = codes.filter((c) => /^[2-5]\d\d$/.test(c)).sort();
  const success = exact.find((c) => c.startsWith('2'));
  if (success) return { status: Number(success), statusClass: '2xx', responseSchema: responseSchema(responses[success]) };
  const range = codes.find((c) => c.toUpperCase() === '2XX');
  if (range) return { status: null, statusClass: '2xx', responseSchema: responseSchema(responses[range]) };
  if (responses.default || exact.length === 0) {
    return { status: null, statusClass: '2xx', responseSchema: responses.default ? responseSchema(responses.default) : null };
  }
  const lowest = exact[0];
  return {
    status: Number(lowest),
    statusClass: `${lowest[0]}xx` as CaseExpectation['statusClass'],
    responseSchema: responseSchema(responses[lowest]),
  };
}

/** Negative cases expect any 4xx; the schema is the documented client-error body, when there is one. */
export function expectedClientError(responses: Record<string, Record<string, unknown>>): CaseExpectation {
  const documented = responses['400'] ?? responses['422'] ?? responses['4XX'] ?? responses['4xx'];
  return { status: null, statusClass: '4xx', responseSchema: documented ? responseSchema(documented) : null };
}

/**
 * Without credentials: 401 or 403, so any 4xx; the schema is the documented 401/403 body, else none (an
 * undocumented 401 need not look like the documented 400: checking it against that schema failed conforming servers).
 */
export function expectedAuthError(responses: Record<string, Record<string, unknown>>): CaseExpectation {
  const documented = responses['401'] ?? responses['403'];
  return { status: null, statusClass: '4xx', responseSchema: documented ? responseSchema(documented) : null };
}

function responseSchema(response: Record<string, unknown> | undefined): unknown {
  const content = asRecord(response?.content);
  const type = preferredMediaType(Object.keys(content));
  if (!type) return null;
  const schema = asRecord(content[type]).schema;
  return schema && typeof schema === 'object' ? schema : null;
}
