import { CaseRequest, TestCase } from '@spectest/contracts';
import { ParameterView } from './operation-view';
import { flattenObjectSchema, isObjectSchema, primaryType, wrongTypeValue } from './schema-shape';
import { SentParameter, ValidRequest, setParameter } from './valid-request';

export type NegativeDraft = Pick<TestCase, 'kind' | 'title' | 'reason' | 'request'> & { target: string };

/** One case per required query/header/cookie parameter, each leaving it out. Path parameters cannot be left out of a URL. */
export function missingParameterDrafts(valid: ValidRequest): NegativeDraft[] {
  return valid.sent
    .filter(({ parameter }) => parameter.required && parameter.in !== 'path')
    .map(({ parameter, wireNames }) => ({
      kind: 'missing_required_param' as const,
      target: `${parameter.in}.${parameter.name}`,
      title: `rejects a request without required ${parameter.in} parameter "${parameter.name}"`,
      reason: `The spec marks ${parameter.in} parameter "${parameter.name}" as required; a request without it must be refused with a 4xx, not processed.`,
      request: withoutParameter(valid.request, parameter, wireNames),
    }));
}

/**
 * Integer, number and boolean parameters, required or optional, get a string that parses as none of them;
 * string parameters accept anything, so they get no such case.
 */
export function wrongTypeParameterDrafts(valid: ValidRequest, parameters: ParameterView[]): NegativeDraft[] {
  const drafts: NegativeDraft[] = [];
  for (const parameter of parameters) {
    const type = parameter.schema ? primaryType(parameter.schema) : null;
    if (type !== 'integer' && type !== 'number' && type !== 'boolean') continue;
    const wrong = wrongTypeValue(type)!;
    if (parameter.in === 'cookie') continue;
    const request = cloneRequest(valid.request);
    setParameter(request, parameter, wrong, undefined, sentNames(valid, parameter));
    drafts.push({
      kind: 'wrong_type',
      target: `${parameter.in}.${parameter.name}`,
      title: `rejects ${parameter.in} parameter "${parameter.name}" with a non-${type} value`,
      reason: `${capitalize(parameter.in)} parameter "${parameter.name}" is typed ${type}; "${wrong}" is not one, so the server must refuse it with a 4xx.`,
      request,
    });
  }
  return drafts;
}

/** For a JSON object body: one case per required field left out, one per non-string field sent with the wrong type. */
export function bodyDrafts(valid: ValidRequest, bodySchema: Record<string, unknown> | null): NegativeDraft[] {
  const body = valid.request.body;
  if (!isJsonContentType(valid.request.contentType) || !isObjectSchema(bodySchema) || !isPlainObject(body)) return [];
  const { properties, required } = flattenObjectSchema(bodySchema);
  const drafts: NegativeDraft[] = [];
  for (const field of required) {
    if (!(field in body)) continue;
    const request = cloneRequest(valid.request);
    delete (request.body as Record<string, unknown>)[field];
    drafts.push({
      kind: 'missing_required_field',
      target: `body.${field}`,
      title: `rejects a body without required field "${field}"`,
      reason: `The request body schema lists "${field}" as required; a body without it must be refused with a 4xx.`,
      request,
    });
  }
  for (const [field, schema] of Object.entries(properties)) {
    if (schema.readOnly === true) continue;
    const type = primaryType(schema);
    const wrong = wrongTypeValue(type);
    if (wrong === null) continue;
    const request = cloneRequest(valid.request);
    (request.body as Record<string, unknown>)[field] = wrong;
    drafts.push({
      kind: 'wrong_type',
      target: `body.${field}`,
      title: `rejects body field "${field}" with a non-${type} value`,
      reason: `Body field "${field}" is typed ${type}; the string "${wrong}" is not one, so the server must refuse the body with a 4xx.`,
      request,
    });
  }
  return drafts;
}

/** The names a parameter of the valid request went out as (an exploded object's properties, a deepObject's `name[key]`). */
export function sentNames(valid: ValidRequest, parameter: ParameterView): string[] {
  return valid.sent.find((s: SentParameter) => s.parameter === parameter)?.wireNames ?? [];
}

function withoutParameter(base: CaseRequest, parameter: ParameterView, wireNames: string[]): CaseRequest {
  const request = cloneRequest(base);
  if (parameter.in === 'query') for (const name of wireNames) delete request.query[name];
  else if (parameter.in === 'header') delete request.headers[parameter.name];
  else if (parameter.in === 'cookie') {
    const rest = (request.headers.Cookie ?? '')
      .split('; ')
      .filter((pair) => pair !== '' && ![parameter.name, ...wireNames].some((name) => pair.startsWith(`${name}=`)));
    if (rest.length > 0) request.headers.Cookie = rest.join('; ');
    else delete request.headers.Cookie;
  }
  return request;
}

export function isJsonContentType(contentType: string | null): boolean {
  if (!contentType) return false;
  const type = contentType.toLowerCase().split(';')[0].trim();
  return type === 'application/json' || type.endsWith('+json');
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

export function cloneRequest(request: CaseRequest): CaseRequest {
  return structuredClone(request);
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
