// @ts-check
'use strict';
// Sends one generated test case to the API under test and checks the answer's status and body.
// Environment:
//   BASE_URL            the API under test, e.g. http://localhost:8080/v1 (required)
//   AUTH_<SCHEME>       credentials per security scheme of the spec, see support/security.json and README.md
//   AUTH_TOKEN          sent as "Authorization: Bearer <token>" when set and no scheme variable applies
//                       (not on cases that test a request without credentials)
//   EXTRA_HEADERS       JSON object of headers added to every request, e.g. {"X-Api-Key":"..."}
//   REQUEST_TIMEOUT_MS  per-request timeout, default 30000
// Names come from the spec and may be any text ("__proto__", "constructor"): the objects keyed by them
// have no prototype, and lookups check own properties only.
const assert = require('node:assert/strict');
const { checkResponseBody } = require('./check-response.js');
const { encodePathValue, encodeQueryComponent } = require('./url-encoding.js');
/** @type {Record<string, { envVar: string, apply: string, name?: string }>} */
// @ts-expect-error: security.json is written beside this file when the suite is generated.
const SCHEMES = require('./security.json');

/**
 * A case as the group files hold it (see cases/*.json): the request already in its parameter styles, and
 * the expected answer, whose schemas are names in the group's table of response schemas.
 * @typedef {string | number | boolean} Primitive
 * @typedef {{ method: string, path: string, pathParams: Record<string, Primitive>, query: Record<string, Primitive | Primitive[]>,
 *   headers: Record<string, string>, contentType: string | null, body?: unknown }} CaseRequest
 * @typedef {{ status: number | null, statusClass: string, responseSchema: string | null, responses?: Record<string, string | null> }} CaseExpectation
 * @typedef {{ id: string, title: string, reason: string, request: CaseRequest, security: string[][],
 *   withoutCredentials?: boolean, expect: CaseExpectation }} RunnableCase
 */

const MAX_BODY_CHARS = 2000;

/** @param {object} object @param {string} key */
function own(object, key) {
  return Object.prototype.hasOwnProperty.call(object, key);
}

/** @returns {Record<string, string>} */
function emptyHeaders() {
  return Object.create(null);
}

function baseUrl() {
  const value = process.env.BASE_URL;
  if (!value) {
    throw new Error('BASE_URL is not set: run e.g. BASE_URL=http://localhost:8080 npm test');
  }
  return value.replace(/\/+$/, '');
}

/** @param {CaseRequest} request */
function buildUrl(request) {
  let path = request.path;
  for (const [name, value] of Object.entries(request.pathParams || {})) {
    path = path.split('{' + name + '}').join(encodePathValue(value));
  }
  const url = new URL(baseUrl() + path);
  const pairs = [];
  for (const [name, value] of Object.entries(request.query || {})) {
    for (const item of Array.isArray(value) ? value : [value]) pairs.push(encodeQueryComponent(name) + '=' + encodeQueryComponent(item));
  }
  url.search = pairs.join('&');
  return url;
}

// Appended as text: url.searchParams would re-encode the whole query in form encoding.
/** @param {URL} url @param {string} name @param {string} value */
function appendQuery(url, name, value) {
  const pair = encodeQueryComponent(name) + '=' + encodeQueryComponent(value);
  url.search = url.search ? url.search + '&' + pair : pair;
}

/** @param {boolean | undefined} withoutCredentials */
function configuredHeaders(withoutCredentials) {
  const headers = emptyHeaders();
  if (process.env.AUTH_TOKEN && !withoutCredentials) headers.authorization = 'Bearer ' + process.env.AUTH_TOKEN;
  if (process.env.EXTRA_HEADERS) Object.assign(headers, JSON.parse(process.env.EXTRA_HEADERS));
  return headers;
}

/**
 * Credentials of the first requirement alternative whose AUTH_<SCHEME> variables are all set.
 * @param {string[][]} security @param {Record<string, string>} headers @param {URL} url
 */
function applySecurity(security, headers, url) {
  if (security.length === 0) return;
  const usable = security.find((names) => names.every((name) => own(SCHEMES, name) && process.env[SCHEMES[name].envVar]));
  if (!usable) return;
  const cookies = [];
  for (const name of usable) {
    const scheme = SCHEMES[name];
    const value = String(process.env[scheme.envVar]);
    if (scheme.apply === 'bearer') headers.authorization = 'Bearer ' + value;
    else if (scheme.apply === 'basic') headers.authorization = 'Basic ' + Buffer.from(value).toString('base64');
    else if (scheme.apply === 'header') headers[String(scheme.name).toLowerCase()] = value;
    else if (scheme.apply === 'query') appendQuery(url, String(scheme.name), value);
    else if (scheme.apply === 'cookie') cookies.push(scheme.name + '=' + encodeURIComponent(value));
  }
  if (cookies.length > 0) headers.cookie = cookies.join('; ');
}

/**
 * Headers and URL for failure output, without credentials.
 * @param {Record<string, string>} headers @param {URL} url
 */
function redacted(headers, url) {
  const secretHeaders = ['authorization', 'cookie'];
  /** @type {string[]} */
  const secretQuery = [];
  for (const scheme of Object.values(SCHEMES)) {
    if (scheme.apply === 'header') secretHeaders.push(String(scheme.name).toLowerCase());
    if (scheme.apply === 'query') secretQuery.push(String(scheme.name));
  }
  const shownHeaders = emptyHeaders();
  for (const [name, value] of Object.entries(headers)) {
    shownHeaders[name] = secretHeaders.includes(name.toLowerCase()) ? '<redacted>' : value;
  }
  const shownUrl = new URL(url);
  for (const name of secretQuery) if (shownUrl.searchParams.has(name)) shownUrl.searchParams.set(name, 'redacted');
  return { headers: shownHeaders, url: shownUrl };
}

/**
 * A form body's fields as name/value pairs; nested values go as JSON text.
 * @param {unknown} body
 * @returns {[string, string][]}
 */
function formFields(body) {
  if (!body || typeof body !== 'object') return [];
  return Object.entries(body).map(([key, value]) => [key, value !== null && typeof value === 'object' ? JSON.stringify(value) : String(value)]);
}

/**
 * @param {CaseRequest} request @param {Record<string, string>} headers
 * @returns {string | FormData | undefined}
 */
function encodeBody(request, headers) {
  if (request.body === undefined) return undefined;
  const contentType = request.contentType || 'application/json';
  const type = contentType.toLowerCase();
  if (type.startsWith('multipart/form-data')) {
    // fetch writes the content type itself, with the boundary.
    const form = new FormData();
    for (const [key, value] of formFields(request.body)) form.append(key, value);
    return form;
  }
  headers['content-type'] = contentType;
  if (type.startsWith('application/x-www-form-urlencoded')) return new URLSearchParams(formFields(request.body)).toString();
  if (type.includes('json')) return JSON.stringify(request.body);
  return typeof request.body === 'string' ? request.body : JSON.stringify(request.body);
}

/** @param {number} status @param {CaseExpectation} expect */
function statusMatches(status, expect) {
  if (expect.responses) return documentedStatus(status, expect.responses) !== null;
  if (expect.status !== null && expect.status !== undefined) return status === expect.status;
  return String(status).charAt(0) === expect.statusClass.charAt(0);
}

/**
 * With several documented answers: the one a status is, by its exact code, else by its range ("2XX").
 * @param {number} status @param {Record<string, string | null>} responses
 */
function documentedStatus(status, responses) {
  const code = String(status);
  if (own(responses, code)) return code;
  const range = Object.keys(responses).find((key) => key.toUpperCase() === code.charAt(0) + 'XX');
  return range === undefined ? null : range;
}

/** @param {unknown} text */
function clip(text) {
  if (text === undefined) return '(none)';
  const value = typeof text === 'string' ? text : JSON.stringify(text);
  return value.length > MAX_BODY_CHARS ? value.slice(0, MAX_BODY_CHARS) + '... (' + value.length + ' chars)' : value;
}

/**
 * Sends the case and checks the answer: the status, then (when it is right) the body against the response
 * schema of that status. Throws an assertion error that says what failed, why the case exists, and shows
 * the request (credentials redacted) and the response.
 * @param {RunnableCase} testCase
 * @param {Record<string, object>} schemas the group's response schemas, by the names the expectations use
 */
async function runCase(testCase, schemas) {
  const request = testCase.request;
  const expect = testCase.expect;
  const schemaNamed = (/** @type {string | null | undefined} */ name) => (name !== null && name !== undefined && own(schemas, name) ? schemas[name] : null);
  const method = request.method.toUpperCase();
  const url = buildUrl(request);
  const headers = emptyHeaders();
  headers.accept = 'application/json, */*;q=0.5';
  Object.assign(headers, configuredHeaders(testCase.withoutCredentials));
  applySecurity(testCase.security || [], headers, url);
  Object.assign(headers, request.headers);
  const body = encodeBody(request, headers);
  const timeoutMs = Number(process.env.REQUEST_TIMEOUT_MS || 30000);
  let response;
  try {
    response = await fetch(url, { method, headers, body, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    const failure = /** @type {Error & { cause?: { message?: string } }} */ (error);
    const cause = failure && failure.cause ? failure.cause.message || String(failure.cause) : failure.message;
    throw new Error('Could not send ' + method + ' ' + url + ': ' + cause);
  }
  const text = await response.text();
  const contentType = response.headers.get('content-type');
  let failure = null;
  if (!statusMatches(response.status, expect)) {
    const expected = expect.responses
      ? 'one of status ' + Object.keys(expect.responses).join(', ')
      : expect.status !== null && expect.status !== undefined
        ? 'status ' + expect.status
        : 'a ' + expect.statusClass + ' status';
    failure = ['Expected ' + expected + ', got ' + response.status + ' ' + response.statusText + '.'];
  } else {
    const schema = expect.responses
      ? schemaNamed(expect.responses[/** @type {string} */ (documentedStatus(response.status, expect.responses))])
      : schemaNamed(expect.responseSchema);
    const problems = checkResponseBody(schema, method, response.status, contentType, text);
    if (problems) {
      failure = ['Expected the response body to match the response schema of the spec; it does not:'].concat(problems.map((p) => '  - ' + p));
    }
  }
  if (failure === null) return { status: response.status, body: text };
  const shown = redacted(headers, url);
  assert.fail(
    failure
      .concat([
        'Why this case exists: ' + testCase.reason,
        'Request: ' + method + ' ' + shown.url,
        'Request headers: ' + JSON.stringify(shown.headers),
        'Request body: ' + clip(request.body),
        'Response status: ' + response.status,
        'Response content-type: ' + (contentType || '(none)'),
        'Response body: ' + clip(text),
        'Case id: ' + testCase.id,
      ])
      .join('\n'),
  );
}

module.exports = { runCase };
