/**
 * support/check-response.js of the generated project: validates a response body against the case's
 * response schema with ajv. OpenAPI 3.0 schema dialect (nullable, boolean exclusiveMinimum, writeOnly,
 * int32/int64/float/double formats) is rewritten to JSON Schema 2020-12 first, so 3.0 and 3.1 specs
 * share one validator. Kept free of backticks and template placeholders because it is embedded as a string.
 */
export const CHECK_RESPONSE_SOURCE = String.raw`'use strict';
// Checks a response body against the JSON Schema the spec documents for it (ajv, JSON Schema 2020-12).
let Ajv2020;
let addFormats;
try {
  Ajv2020 = require('ajv/dist/2020').default;
  addFormats = require('ajv-formats');
} catch (error) {
  throw new Error('ajv is not installed: run "npm install" in this folder first (' + error.message + ')');
}

const ajv = new Ajv2020({ strict: false, allErrors: true, logger: false, validateFormats: true });
addFormats.default ? addFormats.default(ajv) : addFormats(ajv);
const INT32 = 2147483647;
ajv.addFormat('int32', { type: 'number', validate: (n) => Number.isInteger(n) && n >= -INT32 - 1 && n <= INT32 });
ajv.addFormat('int64', { type: 'number', validate: (n) => Number.isInteger(n) });
ajv.addFormat('float', { type: 'number', validate: () => true });
ajv.addFormat('double', { type: 'number', validate: () => true });
ajv.addFormat('password', { type: 'string', validate: () => true });
ajv.addFormat('binary', { type: 'string', validate: () => true });

// Keywords whose value is one schema, a list of schemas, or a map of name -> schema.
const ONE = ['items', 'additionalProperties', 'not', 'contains', 'propertyNames', 'if', 'then', 'else',
  'unevaluatedItems', 'unevaluatedProperties', 'additionalItems'];
const LIST = ['allOf', 'anyOf', 'oneOf', 'prefixItems'];
const MAP = ['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas'];

/** OpenAPI schema object -> JSON Schema 2020-12, for validating a response (so writeOnly fields are not required). */
function toJsonSchema(schema) {
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) return schema;
  const out = {};
  for (const [key, value] of Object.entries(schema)) {
    if (key === 'nullable' || key === 'example' || key === 'discriminator' || key === 'xml') continue;
    if (ONE.includes(key)) out[key] = toJsonSchema(value);
    else if (LIST.includes(key) && Array.isArray(value)) out[key] = value.map(toJsonSchema);
    else if (MAP.includes(key) && value && typeof value === 'object') {
      out[key] = {};
      for (const [name, sub] of Object.entries(value)) out[key][name] = toJsonSchema(sub);
    } else out[key] = value;
  }
  for (const bound of ['Minimum', 'Maximum']) {
    const flag = out['exclusive' + bound];
    const limit = out[bound.toLowerCase()];
    if (typeof flag === 'boolean') {
      delete out['exclusive' + bound];
      if (flag && typeof limit === 'number') {
        out['exclusive' + bound] = limit;
        delete out[bound.toLowerCase()];
      }
    }
  }
  if (Array.isArray(out.required) && out.properties) {
    out.required = out.required.filter((name) => !(out.properties[name] && out.properties[name].writeOnly === true));
  }
  if (schema.nullable === true) return { anyOf: [out, { type: 'null' }] };
  return out;
}

const compiled = new Map();
function validatorFor(schema) {
  const key = JSON.stringify(schema);
  let validate = compiled.get(key);
  if (!validate) {
    validate = ajv.compile(toJsonSchema(schema));
    compiled.set(key, validate);
  }
  return validate;
}

function isJson(contentType) {
  const type = (contentType || '').split(';')[0].trim().toLowerCase();
  return type === 'application/json' || type.endsWith('+json');
}

/** null when the body fits the schema, else a list of what does not, one line each. */
function checkResponseBody(schema, method, status, contentType, text) {
  if (schema === null || schema === undefined) return null;
  if (method === 'HEAD' || status === 204 || status === 304) return null;
  let body;
  if (isJson(contentType)) {
    if (text === '') return ['the response has no body; the spec documents one'];
    try {
      body = JSON.parse(text);
    } catch (error) {
      return ['the response body is not valid JSON: ' + error.message];
    }
  } else if (schema.type === 'string') {
    body = text;
  } else {
    return ['the response content type is ' + JSON.stringify(contentType || '(none)') + ', expected JSON matching the schema'];
  }
  const validate = validatorFor(schema);
  if (validate(body)) return null;
  return validate.errors.map((e) => (e.instancePath || '(body)') + ' ' + e.message + ' [schema ' + e.schemaPath + ']');
}

module.exports = { checkResponseBody, toJsonSchema };
`;
