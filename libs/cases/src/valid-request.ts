import { CaseRequest, Endpoint } from '@spectest/contracts';
import { OperationView, ParameterView } from './operation-view';
import { chooseValue } from './sample-value';
import {
  Primitive,
  StyleValue,
  parameterStyle,
  serializeCookie,
  serializeHeader,
  serializePath,
  serializeQuery,
} from './parameter-style';
import { setOwnProperty } from '@spectest/openapi';

export interface SentParameter {
  parameter: ParameterView;
  value: StyleValue;
  /** The query names or cookie names its value went out as (`filter[color]` for a deepObject). */
  wireNames: string[];
}

export interface ValidRequest {
  request: CaseRequest;
  /** Parameters the request carries, with the value it sends for each. */
  sent: SentParameter[];
  /** Where the values came from: documented examples, generated samples, or none needed. */
  valueOrigin: 'examples' | 'samples' | 'none';
  /** Patterns a generated value could not be made to match; the case's reason says so. */
  unmetPatterns: string[];
}

/**
 * The request a conforming server should accept: every required parameter, optional ones that have a
 * documented example, and the body. Negative cases are this request with one thing broken.
 */
export function buildValidRequest(endpoint: Endpoint, view: OperationView, seed: number): ValidRequest {
  const request: CaseRequest = {
    method: endpoint.method,
    path: endpoint.path,
    pathParams: {},
    query: {},
    headers: {},
    contentType: null,
  };
  const sent: ValidRequest['sent'] = [];
  let usesSamples = false;
  let usesValues = false;
  const unmetPatterns: string[] = [];
  const cookies: [string, Primitive][] = [];

  for (const parameter of view.parameters) {
    const hasExample = parameter.raw.example !== undefined || parameter.raw.examples !== undefined;
    if (!parameter.required && !hasExample) continue;
    const chosen = chooseValue(parameter.raw, parameter.schema, seed);
    usesValues = true;
    usesSamples ||= chosen.origin === 'sample';
    unmetPatterns.push(...chosen.unmetPatterns);
    const value = toStyleValue(chosen.value);
    const wireNames = setParameter(request, parameter, value, cookies);
    sent.push({ parameter, value, wireNames });
  }
  if (cookies.length > 0) request.headers.Cookie = cookieHeader(cookies);

  // A template variable the spec forgot to declare still needs a value, or the URL is wrong.
  for (const match of endpoint.path.matchAll(/\{([^}]+)\}/g)) {
    if (!Object.hasOwn(request.pathParams, match[1])) setOwnProperty(request.pathParams, match[1], '1');
  }

  if (view.requestBody) {
    const chosen = chooseValue(view.requestBody.media.raw, view.requestBody.media.schema, seed);
    usesValues = true;
    usesSamples ||= chosen.origin === 'sample';
    unmetPatterns.push(...chosen.unmetPatterns);
    request.contentType = view.requestBody.media.contentType;
    request.body = chosen.value ?? {};
  }
  return { request, sent, valueOrigin: usesSamples ? 'samples' : usesValues ? 'examples' : 'none', unmetPatterns: [...new Set(unmetPatterns)] };
}

/**
 * Puts a parameter's value into the request in the parameter's style (parameter-style.ts), replacing
 * what the request sent for it (`previous`: the names it went out as). Returns the names it goes out as now.
 * Cookies are collected in `cookies` when given, else written into the Cookie header.
 */
export function setParameter(
  request: CaseRequest,
  parameter: ParameterView,
  value: StyleValue,
  cookies?: [string, Primitive][],
  previous: string[] = [],
): string[] {
  const style = parameterStyle(parameter.in, parameter.raw);
  if (parameter.in === 'path') {
    setOwnProperty(request.pathParams, parameter.name, serializePath(parameter.name, value, style));
    return [];
  }
  if (parameter.in === 'header') {
    setOwnProperty(request.headers, parameter.name, serializeHeader(value, style));
    return [];
  }
  if (parameter.in === 'query') {
    for (const name of previous) delete request.query[name];
    const pairs = serializeQuery(parameter.name, value, style);
    for (const [name, item] of pairs) {
      const existing = Object.hasOwn(request.query, name) ? request.query[name] : undefined;
      setOwnProperty(request.query, name, existing === undefined ? item : [...(Array.isArray(existing) ? existing : [existing]), item]);
    }
    return [...new Set(pairs.map(([name]) => name))];
  }
  const pairs = serializeCookie(parameter.name, value, style);
  if (cookies) cookies.push(...pairs);
  else {
    const kept = parseCookies(request.headers.Cookie).filter(([name]) => !previous.includes(name));
    request.headers.Cookie = cookieHeader([...kept, ...pairs]);
  }
  return [...new Set(pairs.map(([name]) => name))];
}

function cookieHeader(pairs: [string, Primitive][]): string {
  return pairs.map(([name, value]) => `${name}=${encodeURIComponent(value).replace(/%2C/g, ',')}`).join('; ');
}

function parseCookies(header: string | undefined): [string, Primitive][] {
  if (!header) return [];
  return header.split('; ').filter(Boolean).map((pair) => {
    const at = pair.indexOf('=');
    return [pair.slice(0, at), decodeURIComponent(pair.slice(at + 1))] as [string, Primitive];
  });
}

/** Arrays of primitives and flat objects of primitives keep their shape (the style says how they go out); deeper values become JSON text. */
function toStyleValue(value: unknown): StyleValue {
  if (Array.isArray(value)) return value.map(toPrimitive);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value as Record<string, unknown>).map(([key, item]) => [key, toPrimitive(item)]));
  }
  return toPrimitive(value);
}

function toPrimitive(value: unknown): Primitive {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (value === null || value === undefined) return 'example';
  return JSON.stringify(value);
}
