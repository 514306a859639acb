/**
 * support/run-case.js of the generated project: sends one case with global fetch and checks the status.
 * Plain CommonJS with no dependencies, so the project runs with `node --test` on Node >= 20 and nothing else.
 * Kept free of backticks and template placeholders because it is embedded as a string.
 */
export const RUN_CASE_SOURCE = String.raw`'use strict';
// Sends one generated test case to the API under test and checks the answer's status.
// Environment:
//   BASE_URL            the API under test, e.g. http://localhost:8080/v1 (required)
//   AUTH_TOKEN          sent as "Authorization: Bearer <token>" when set
//   EXTRA_HEADERS       JSON object of headers added to every request, e.g. {"X-Api-Key":"..."}
//   REQUEST_TIMEOUT_MS  per-request timeout, default 30000
const assert = require('node:assert/strict');

const MAX_BODY_CHARS = 2000;

function baseUrl() {
  const value = process.env.BASE_URL;
  if (!value) {
    throw new Error('BASE_URL is not set: run e.g. BASE_URL=http://localhost:8080 npm test');
  }
  return value.replace(/\/+$/, '');
}

function buildUrl(request) {
  let path = request.path;
  for (const [name, value] of Object.entries(request.pathParams || {})) {
    path = path.split('{' + name + '}').join(encodeURIComponent(String(value)));
  }
  const url = new URL(baseUrl() + path);
  for (const [name, value] of Object.entries(request.query || {})) {
    for (const item of Array.isArray(value) ? value : [value]) url.searchParams.append(name, String(item));
  }
  return url;
}

function configuredHeaders() {
  const headers = {};
  if (process.env.AUTH_TOKEN) headers.authorization = 'Bearer ' + process.env.AUTH_TOKEN;
  if (process.env.EXTRA_HEADERS) Object.assign(headers, JSON.parse(process.env.EXTRA_HEADERS));
  return headers;
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
  if (expect.status !== null && expect.status !== undefined) return status === expect.status;
  return String(status).charAt(0) === expect.statusClass.charAt(0);
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
  const headers = Object.assign({ accept: 'application/json, */*;q=0.5' }, configuredHeaders(), request.headers);
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
  if (statusMatches(response.status, testCase.expect)) return { status: response.status, body: text };
  const expected = testCase.expect.status !== null && testCase.expect.status !== undefined
    ? 'status ' + testCase.expect.status
    : 'a ' + testCase.expect.statusClass + ' status';
  assert.fail([
    'Expected ' + expected + ', got ' + response.status + ' ' + response.statusText + '.',
    'Why this case exists: ' + testCase.reason,
    'Request: ' + method + ' ' + url,
    'Request headers: ' + JSON.stringify(headers),
    'Request body: ' + clip(request.body),
    'Response status: ' + response.status,
    'Response body: ' + clip(text),
    'Case id: ' + testCase.id,
  ].join('\n'));
}

module.exports = { runCase };
`;
