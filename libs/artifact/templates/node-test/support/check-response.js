// @ts-check
'use strict';
// Checks a response body against the JSON Schema the spec documents for it (ajv, JSON Schema 2020-12,
// plus OpenAPI's int32/int64/float/double formats). The schemas were rewritten from the OpenAPI dialect
// when the suite was generated; their $refs point into support/schemas.json, which is added to ajv once.
/** @type {typeof import('ajv/dist/2020').default} */
let Ajv2020;
/** @type {typeof import('ajv-formats').default} */
let addFormats;
try {
  Ajv2020 = require('ajv/dist/2020').default;
  const formats = require('ajv-formats');
  addFormats = formats.default || formats;
} catch (error) {
  throw new Error('ajv is not installed: run "npm install" in this folder first (' + /** @type {Error} */ (error).message + ')');
}

const ajv = new Ajv2020({ strict: false, allErrors: true, logger: false, validateFormats: true });
addFormats(ajv);
const INT32 = 2147483647;
ajv.addFormat('int32', { type: 'number', validate: (n) => Number.isInteger(n) && n >= -INT32 - 1 && n <= INT32 });
ajv.addFormat('int64', { type: 'number', validate: (n) => Number.isInteger(n) });
ajv.addFormat('float', { type: 'number', validate: () => true });
ajv.addFormat('double', { type: 'number', validate: () => true });
ajv.addFormat('password', { type: 'string', validate: () => true });
ajv.addFormat('binary', { type: 'string', validate: () => true });
// The schemas the response schemas refer to, once for the whole project (their $id is what the $refs name).
try {
  // @ts-expect-error: schemas.json is written beside this file when the suite is generated.
  ajv.addSchema(require('./schemas.json'));
} catch (error) {
  // A schema ajv cannot compile is a problem of the spec: the checks that need it say so when they run.
  console.warn('Shared response schemas not loaded, ajv cannot compile them: ' + /** @type {Error} */ (error).message);
}

/** @type {Map<string, import('ajv').ValidateFunction>} */
const compiled = new Map();

/** @param {object} schema */
function validatorFor(schema) {
  const key = JSON.stringify(schema);
  let validate = compiled.get(key);
  if (!validate) {
    validate = ajv.compile(schema);
    compiled.set(key, validate);
  }
  return validate;
}

/** @param {string | null} contentType */
function isJson(contentType) {
  const type = (contentType || '').split(';')[0].trim().toLowerCase();
  return type === 'application/json' || type.endsWith('+json');
}

/**
 * null when the body fits the schema, else what does not, one line each.
 * @param {{ type?: unknown } | null | undefined} schema
 * @param {string} method
 * @param {number} status
 * @param {string | null} contentType
 * @param {string} text
 * @returns {string[] | null}
 */
function checkResponseBody(schema, method, status, contentType, text) {
  if (schema === null || schema === undefined) return null;
  if (method === 'HEAD' || status === 204 || status === 304) return null;
  let body;
  if (isJson(contentType)) {
    if (text === '') return ['the response has no body; the spec documents one'];
    try {
      body = JSON.parse(text);
    } catch (error) {
      return ['the response body is not valid JSON: ' + /** @type {Error} */ (error).message];
    }
  } else if (schema.type === 'string') {
    body = text;
  } else {
    return ['the response content type is ' + JSON.stringify(contentType || '(none)') + ', expected JSON matching the schema'];
  }
  let validate;
  try {
    validate = validatorFor(schema);
  } catch (error) {
    // A schema ajv cannot compile is a problem of the spec, not of the server: say so, do not fail the test.
    console.warn('Response schema not checked, ajv cannot compile it: ' + /** @type {Error} */ (error).message);
    return null;
  }
  if (validate(body)) return null;
  return (validate.errors || []).map((e) => (e.instancePath || '(body)') + ' ' + e.message + ' [schema ' + e.schemaPath + ']');
}

module.exports = { checkResponseBody };
