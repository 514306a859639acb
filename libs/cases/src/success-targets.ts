import { STATUS_CODES } from 'node:http';
import { CaseExpectation } from '@spectest/contracts';
import { asRecord, preferredMediaType } from './operation-view';
import { expectedSuccess } from './expected-response';
import { isJsonContentType } from './negative-cases';

/** One documented success answer (a 2xx status, in one of its media types) that a positive case aims at. */
export interface SuccessTarget {
  /** "201 Created", "a 2xx status", or the fallback answer when the spec documents no 2xx. */
  label: string;
  /** The media type of the answer when the status documents several, else null. */
  mediaType: string | null;
  /** `Accept` to send so that the server picks this media type; null leaves the runner's default. */
  accept: string | null;
  /** Part of the case id after "positive" ("201", "200.application-xml"); null for the first target. */
  idSuffix: string | null;
  expect: CaseExpectation;
  /** Every documented success status ("201", "2XX"); each passes when there are several. */
  documented: string[];
  /** Why the body is not checked, when a schema is documented but the runners cannot check its media type. */
  uncheckedBody: string | null;
}

/**
 * Every documented success answer of an operation: each 2xx (exact codes sorted, then a `2XX` range), and
 * each of its media types (JSON first). One request gets one status from a real server, so with several
 * 2xx documented every case accepts any of them and checks the body against the schema of the status it
 * got (`expect.responses`); with one, the case expects it exactly. No 2xx at all: the one fallback answer
 * of expectedSuccess (the class of `default`, or the lowest documented status).
 */
export function successTargets(responses: Record<string, Record<string, unknown>>): SuccessTarget[] {
  const codes = Object.keys(responses);
  const success = [...codes.filter((c) => /^2\d\d$/.test(c)).sort(), ...codes.filter((c) => c.toUpperCase() === '2XX')];
  if (success.length === 0) return [fallbackTarget(responses)];
  const several = success.length > 1;
  const targets: SuccessTarget[] = [];
  for (const status of success) {
    const types = Object.keys(asRecord(responses[status].content));
    const preferred = preferredMediaType(types);
    const ordered = preferred ? [preferred, ...types.filter((t) => t !== preferred)] : [null];
    for (const mediaType of ordered) {
      const body = bodyCheck(responses[status], mediaType);
      const expect: CaseExpectation = several
        ? {
            status: null,
            statusClass: '2xx',
            responseSchema: body.schema,
            responses: Object.fromEntries(success.map((s) => [s, s === status ? body.schema : bodyCheck(responses[s], mediaType).schema])),
          }
        : { status: /^\d+$/.test(status) ? Number(status) : null, statusClass: '2xx', responseSchema: body.schema };
      const mediaShown = types.length > 1 ? mediaType : null;
      targets.push({
        label: statusLabel(status) + (mediaShown ? ` as ${mediaShown}` : ''),
        mediaType: mediaShown,
        accept: mediaShown && !mediaShown.includes('*') ? mediaShown : null,
        idSuffix: targets.length === 0 ? null : [status, ...(mediaType !== preferred ? [mediaType] : [])].join('.'),
        expect,
        documented: success,
        uncheckedBody: body.unchecked,
      });
    }
  }
  return targets;
}

function fallbackTarget(responses: Record<string, Record<string, unknown>>): SuccessTarget {
  const expect = expectedSuccess(responses);
  return {
    label: expect.status !== null ? statusLabel(String(expect.status)) : `a ${expect.statusClass} status`,
    mediaType: null,
    accept: null,
    idSuffix: null,
    expect,
    documented: [],
    uncheckedBody: null,
  };
}

/**
 * The schema the runners can check for one media type of a response. They read JSON bodies (and text
 * against a string schema); an XML or other body is documented but not checkable, so the case checks
 * only its status, and says so.
 */
function bodyCheck(response: Record<string, unknown>, mediaType: string | null): { schema: unknown; unchecked: string | null } {
  const content = asRecord(response.content);
  const type = mediaType !== null && mediaType in content ? mediaType : preferredMediaType(Object.keys(content));
  if (!type) return { schema: null, unchecked: null };
  const schema = asRecord(content[type]).schema;
  if (!schema || typeof schema !== 'object') return { schema: null, unchecked: null };
  if (isJsonContentType(type) || type.includes('*') || asRecord(schema).type === 'string') return { schema, unchecked: null };
  return { schema: null, unchecked: `the generated suites check JSON bodies only, so the ${type} body is not checked` };
}

export function statusLabel(status: string): string {
  if (/^\d{3}$/.test(status)) return STATUS_CODES[Number(status)] ? `${status} ${STATUS_CODES[Number(status)]}` : status;
  return `a ${status.toLowerCase()} status`;
}
