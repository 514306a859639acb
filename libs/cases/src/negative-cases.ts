import { CaseRequest, TestCase } from '@spectest/contracts';
import { ParameterView } from './operation-view';
import { flattenObjectSchema, isObjectSchema, primaryType, wrongTypeValue } from './schema-shape';
import { SentParameter, ValidRequest, setParameter } from './valid-request';
import { setOwnProperty } from '@spectest/openapi';

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
  const { properties } = flattenObjectSchema(bodySchema);
  const drafts: NegativeDraft[] = missingFieldDrafts(valid.request, bodySchema, body);
  for (const [field, schema] of Object.entries(properties)) {
    if (schema.readOnly === true) continue;
    const type = primaryType(schema);
    const wrong = wrongTypeValue(type);
    if (wrong === null) continue;
    const request = cloneRequest(valid.request);
    setOwnProperty(request.body as Record<string, unknown>, field, wrong);
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

/**
 * At most this many missing-field cases for fields below the top level, per operation: a large spec's
 * bodies nest many objects, and one case per required field at every depth would swamp the suite.
 */
export const MAX_NESTED_MISSING_FIELD_CASES = 5;
/** Objects nested deeper than this (the body itself is depth 0) are not probed. */
export const MAX_NESTED_MISSING_FIELD_DEPTH = 4;

/**
 * One case per required field the valid body sends, each left out: every top-level one, then required
 * fields of the nested objects the body sends, breadth first in the order the schemas list them, up to
 * MAX_NESTED_MISSING_FIELD_CASES. Only plain object properties are followed (allOf folded in): an object
 * that is readOnly, or whose schema picks among oneOf/anyOf branches, is not entered, since what it
 * requires depends on the branch. Arrays are not entered.
 */
function missingFieldDrafts(base: CaseRequest, bodySchema: Record<string, unknown>, body: Record<string, unknown>): NegativeDraft[] {
  const drafts: NegativeDraft[] = [];
  let nested = 0;
  let level: { path: string[]; schema: Record<string, unknown>; value: Record<string, unknown> }[] = [{ path: [], schema: bodySchema, value: body }];
  for (let depth = 0; depth <= MAX_NESTED_MISSING_FIELD_DEPTH && level.length > 0; depth++) {
    const next: typeof level = [];
    for (const { path, schema, value } of level) {
      const { properties, required } = flattenObjectSchema(schema);
      for (const field of required) {
        if (!Object.hasOwn(value, field) || (Object.hasOwn(properties, field) && properties[field].readOnly === true)) continue;
        if (depth > 0 && nested >= MAX_NESTED_MISSING_FIELD_CASES) break;
        if (depth > 0) nested++;
        drafts.push(missingFieldDraft(base, [...path, field]));
      }
      for (const [field, child] of Object.entries(properties)) {
        const childValue = Object.hasOwn(value, field) ? value[field] : undefined;
        if (!isPlainObject(childValue) || !isObjectSchema(child) || child.readOnly === true || branches(child)) continue;
        next.push({ path: [...path, field], schema: child, value: childValue });
      }
    }
    level = next;
  }
  return drafts;
}

function missingFieldDraft(base: CaseRequest, path: string[]): NegativeDraft {
  const request = cloneRequest(base);
  let holder = request.body as Record<string, unknown>;
  for (const key of path.slice(0, -1)) holder = holder[key] as Record<string, unknown>;
  delete holder[path[path.length - 1]];
  const field = path[path.length - 1];
  if (path.length === 1) {
    return {
      kind: 'missing_required_field',
      target: `body.${field}`,
      title: `rejects a body without required field "${field}"`,
      reason: `The request body schema lists "${field}" as required; a body without it must be refused with a 4xx.`,
      request,
    };
  }
  const jsonPath = `body.${path.join('.')}`;
  const parent = `body.${path.slice(0, -1).join('.')}`;
  return {
    kind: 'missing_required_field',
    target: jsonPath,
    title: `rejects a body without required nested field ${jsonPath}`,
    reason: `The schema of ${parent} lists "${field}" as required; a body whose ${parent} lacks it (${jsonPath}) must be refused with a 4xx.`,
    request,
  };
}

/** Whether an object schema (or an allOf part of it) picks among oneOf/anyOf branches. */
function branches(schema: Record<string, unknown>, depth = 0): boolean {
  if (depth > 16) return false;
  if (Array.isArray(schema.oneOf) || Array.isArray(schema.anyOf)) return true;
  return Array.isArray(schema.allOf) && schema.allOf.some((part) => isPlainObject(part) && branches(part, depth + 1));
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
