import { CaseRequest, Endpoint } from '@spectest/contracts';
import { OperationView, ParameterView } from './operation-view';
import { chooseValue } from './sample-value';

type Scalar = string | number | boolean;

export interface ValidRequest {
  request: CaseRequest;
  /** Parameters the request carries, with the value it sends for each. */
  sent: { parameter: ParameterView; value: Scalar | Scalar[] }[];
  /** Where the values came from: documented examples, generated samples, or none needed. */
  valueOrigin: 'examples' | 'samples' | 'none';
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
  const cookies: string[] = [];

  for (const parameter of view.parameters) {
    const hasExample = parameter.raw.example !== undefined || parameter.raw.examples !== undefined;
    if (!parameter.required && !hasExample) continue;
    const chosen = chooseValue(parameter.raw, parameter.schema, seed);
    usesValues = true;
    usesSamples ||= chosen.origin === 'sample';
    const value = toParameterValue(chosen.value);
    sent.push({ parameter, value });
    if (parameter.in === 'path') request.pathParams[parameter.name] = Array.isArray(value) ? value.join(',') : value;
    else if (parameter.in === 'query') request.query[parameter.name] = queryValue(parameter, value);
    else if (parameter.in === 'header') request.headers[parameter.name] = Array.isArray(value) ? value.join(',') : String(value);
    else cookies.push(`${parameter.name}=${encodeURIComponent(Array.isArray(value) ? value.join(',') : String(value))}`);
  }
  if (cookies.length > 0) request.headers.Cookie = cookies.join('; ');

  // A template variable the spec forgot to declare still needs a value, or the URL is wrong.
  for (const match of endpoint.path.matchAll(/\{([^}]+)\}/g)) {
    if (!(match[1] in request.pathParams)) request.pathParams[match[1]] = '1';
  }

  if (view.requestBody) {
    const chosen = chooseValue(view.requestBody.media.raw, view.requestBody.media.schema, seed);
    usesValues = true;
    usesSamples ||= chosen.origin === 'sample';
    request.contentType = view.requestBody.media.contentType;
    request.body = chosen.value ?? {};
  }
  return { request, sent, valueOrigin: usesSamples ? 'samples' : usesValues ? 'examples' : 'none' };
}

/**
 * The generated suites send an array query value as repeated parameters, which is `explode: true`
 * (the default of `form`). Without explode the array is one value, joined by the style's delimiter.
 */
function queryValue(parameter: ParameterView, value: Scalar | Scalar[]): Scalar | Scalar[] {
  if (!Array.isArray(value)) return value;
  const style = typeof parameter.raw.style === 'string' ? parameter.raw.style : 'form';
  const explode = typeof parameter.raw.explode === 'boolean' ? parameter.raw.explode : style === 'form';
  if (explode) return value;
  return value.join(style === 'spaceDelimited' ? ' ' : style === 'pipeDelimited' ? '|' : ',');
}

function toParameterValue(value: unknown): Scalar | Scalar[] {
  if (Array.isArray(value)) return value.map(toScalar);
  return toScalar(value);
}

function toScalar(value: unknown): Scalar {
  if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean') return value;
  if (value === null || value === undefined) return 'example';
  return JSON.stringify(value);
}
