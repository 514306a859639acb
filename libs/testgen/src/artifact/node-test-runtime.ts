import { URL_ENCODING_SOURCE } from './parameter-style';

/**
 * support/run-case.js of the generated project: sends one case with global fetch, checks the status and
 * then the body against the response schema (support/check-response.js). Plain CommonJS, so the project
 * runs with `node --test` on Node >= 20 after `npm install` (ajv). Kept free of backticks and template
 * placeholders because it is embedded as a string.
 */
export const RUN_CASE_SOURCE = String.raw`'use strict';
// Sends one generated test case to the API under test and checks the answer's status and body.
// Environment:
//   BASE_URL            the API under test, e.g. http://localhost:8080/v1 (required)
//   AUTH_<SCHEME>       credentials per security scheme of the spec, see support/security.json and README.md
//   AUTH_TOKEN          sent as "Authorization: Bearer <token>" when set and no scheme variable applies
//                       (not on cases that test a request without credentials)
//   EXTRA_HEADERS       JSON object of headers added to every request, e.g. {"X-Api-Key":"..."}
//   REQUEST_TIMEOUT_MS  per-request timeout, default 30000
const assert = require('node:assert/strict');
const { checkResponseBody } = require('./check-response.js');
const SCHEMES = require('./security.json');

const MAX_BODY_CHARS = 2000;

function baseUrl() {
  const value = process.env.BASE_URL;
  if (!value) {
    throw new Error('BASE_URL is not set: run e.g. BASE_URL=http://localhost:8080 npm test');
  }
  return value.replace(/\/+$/, '');
}

// The case holds each parameter already in its style (deepObject "filter[color]", matrix ";id=5", ...);
// this only percent-encodes, as the Postman collection does.
` + URL_ENCODING_SOURCE + String.raw`

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
function appendQuery(url, name, value) {
  const pair = encodeQueryComponent(name) + '=' + encodeQueryComponent(value);
  url.search = url.search ? url.search + '&' + pair : pair;
}

function configuredHeaders(withoutCredentials) {
  const headers = {};
  if (process.env.AUTH_TOKEN && !withoutCredentials) headers.authorization = 'Bearer ' + process.env.AUTH_TOKEN;
  if (process.env.EXTRA_HEADERS) Object.assign(headers, JSON.parse(process.env.EXTRA_HEADERS));
  return headers;
}

/** Credentials of the first requirement alternative whose AUTH_<SCHEME> variables are all set. */
function applySecurity(security, headers, url) {
  if (security.length === 0) return;
  const usable = security.find((names) => names.every((name) => SCHEMES[name] && process.env[SCHEMES[name].envVar]));
  if (!usable) return;
  const cookies = [];
  for (const name of usable) {
    const scheme = SCHEMES[name];
    const value = process.env[scheme.envVar];
    if (scheme.apply === 'bearer') headers.authorization = 'Bearer ' + value;
    else if (scheme.apply === 'basic') headers.authorization = 'Basic ' + Buffer.from(value).toString('base64');
    else if (scheme.apply === 'header') headers[scheme.name.toLowerCase()] = value;
    else if (scheme.apply === 'query') appendQuery(url, scheme.name, value);
    else if (scheme.apply === 'cookie') cookies.push(scheme.name + '=' + encodeURIComponent(value));
  }
  if (cookies.length > 0) headers.cookie = cookies.join('; ');
}

/** Headers and URL for failure output, without credentials. */
function redacted(headers, url) {
  const secretHeaders = ['authorization', 'cookie'];
  const secretQuery = [];
  for (const scheme of Object.values(SCHEMES)) {
    if (scheme.apply === 'header') secretHeaders.push(scheme.name.toLowerCase());
    if (scheme.apply === 'query') secretQuery.push(scheme.name);
  }
  const shownHeaders = {};
  for (const [name, value] of Object.entries(headers)) {
    shownHeaders[name] = secretHeaders.includes(name.toLowerCase()) ? '<redacted>' : value;
  }
  const shownUrl = new URL(url);
  for (const name of secretQuery) if (shownUrl.searchParams.has(name)) shownUrl.searchParams.set(name, 'redacted');
  return { headers: shownHeaders, url: shownUrl };
}

function flatten(body) {
  const fields = {};
  if (body && typeof body === 'object') {
    for (const [key, value] of Object.entries(body)) {
      fields[key] = value !== null && typeof value === 'object' ? JSON.stringify(value) : String(value);
    }
  }
  return fields;
}

function encodeBody(request, headers) {
  if (request.body === undefined) return undefined;
  const contentType = request.contentType || 'application/json';
  const type = contentType.toLowerCase();
  if (type.startsWith('multipart/form-data')) {
    // fetch writes the content type itself, with the boundary.
    const form = new FormData();
    for (const [key, value] of Object.entries(flatten(request.body))) form.append(key, value);
    return form;
  }
  headers['content-type'] = contentType;
  if (type.startsWith('application/x-www-form-urlencoded')) return new URLSearchParams(flatten(request.body)).toString();
  if (type.includes('json')) return JSON.stringify(request.body);
  return typeof request.body === 'string' ? request.body : JSON.stringify(request.body);
}

function statusMatches(status, expect) {
  if (expect.responses) return documentedStatus(status, expect) !== null;
  if (expect.status !== null && expect.status !== undefined) return status === expect.status;
  return String(status).charAt(0) === expect.statusClass.charAt(0);
}

// With several documented answers: the one a status is, by its exact code, else by its range ("2XX").
function documentedStatus(status, expect) {
  const code = String(status);
  if (Object.prototype.hasOwnProperty.call(expect.responses, code)) return code;
  const range = Object.keys(expect.responses).find((key) => key.toUpperCase() === code.charAt(0) + 'XX');
  return range === undefined ? null : range;
}

function clip(text) {
  if (text === undefined) return '(none)';
  const value = typeof text === 'string' ? text : JSON.stringify(text);
  return value.length > MAX_BODY_CHARS ? value.slice(0, MAX_BODY_CHARS) + '... (' + value.length + ' chars)' : value;
}

async function runCase(testCase) {
  const request = testCase.request;
  const method = request.method.toUpperCase();
  const url = buildUrl(request);
  const headers = Object.assign({ accept: 'application/json, */*;q=0.5' }, configuredHeaders(testCase.withoutCredentials));
  applySecurity(testCase.security || [], headers, url);
  Object.assign(headers, request.headers);
  const body = encodeBody(request, headers);
  const timeoutMs = Number(process.env.REQUEST_TIMEOUT_MS || 30000);
  let response;
  try {
    response = await fetch(url, { method, headers, body, redirect: 'manual', signal: AbortSignal.timeout(timeoutMs) });
  } catch (error) {
    const cause = error && error.cause ? error.cause.message || String(error.cause) : error.message;
    throw new Error('Could not send ' + method + ' ' + url + ': ' + cause);
  }
  const text = await response.text();
  const contentType = response.headers.get('content-type');
  let failure = null;
  if (!statusMatches(response.status, testCase.expect)) {
    const expected = testCase.expect.responses
      ? 'one of status ' + Object.keys(testCase.expect.responses).join(', ')
      : testCase.expect.status !== null && testCase.expect.status !== undefined
        ? 'status ' + testCase.expect.status
        : 'a ' + testCase.expect.statusClass + ' status';
    failure = ['Expected ' + expected + ', got ' + response.status + ' ' + response.statusText + '.'];
  } else {
    const schema = testCase.expect.responses
      ? testCase.expect.responses[documentedStatus(response.status, testCase.expect)]
      : testCase.expect.responseSchema;
    const problems = checkResponseBody(schema, method, response.status, contentType, text);
    if (problems) {
      failure = ['Expected the response body to match the response schema of the spec; it does not:']
        .concat(problems.map((p) => '  - ' + p));
    }
  }
  if (failure === null) return { status: response.status, body: text };
  const shown = redacted(headers, url);
  assert.fail(failure.concat([
    'Why this case exists: ' + testCase.reason,
    'Request: ' + method + ' ' + shown.url,
    'Request headers: ' + JSON.stringify(shown.headers),
    'Request body: ' + clip(request.body),
    'Response status: ' + response.status,
    'Response content-type: ' + (contentType || '(none)'),
    'Response body: ' + clip(text),
    'Case id: ' + testCase.id,
  ]).join('\n'));
}

module.exports = { runCase };
`;
