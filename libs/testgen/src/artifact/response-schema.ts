/**
 * OpenAPI schema object -> plain JSON Schema, for validating a response in the generated suites.
 * Done once at generation time so the node:test project (ajv 8, JSON Schema 2020-12) and the Postman
 * collection (the sandbox's ajv 6, draft-07) check the same thing, and neither needs OpenAPI knowledge:
 * - `nullable: true` (3.0) -> anyOf [schema, {type: null}];
 * - boolean exclusiveMinimum/exclusiveMaximum (3.0) -> the numeric form;
 * - writeOnly properties are not required in a response;
 * - OpenAPI-only annotations (example, discriminator, xml) and $schema/$id are dropped.
 * 3.1 schemas are JSON Schema already and pass through unchanged apart from those rules.
 */
const ONE = ['items', 'additionalProperties', 'not', 'contains', 'propertyNames', 'if', 'then', 'else', 'unevaluatedItems', 'unevaluatedProperties', 'additionalItems'];
const LIST = ['allOf', 'anyOf', 'oneOf', 'prefixItems'];
const MAP = ['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas'];
// $schema/$id: the document is dereferenced, and a draft-07 $schema URI would make ajv 8 refuse the schema.
const DROPPED = ['nullable', 'example', 'discriminator', 'xml', '$schema', '$id'];

export function responseJsonSchema(schema: unknown): unknown {
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) return schema;
  const source = schema as Record<string, unknown>;
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(source)) {
    if (DROPPED.includes(key)) continue;
    if (ONE.includes(key)) out[key] = responseJsonSchema(value);
    else if (LIST.includes(key) && Array.isArray(value)) out[key] = value.map(responseJsonSchema);
    else if (MAP.includes(key) && value && typeof value === 'object' && !Array.isArray(value)) {
      out[key] = Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, responseJsonSchema(sub)]));
    } else out[key] = value;
  }
  for (const bound of ['minimum', 'maximum'] as const) {
    const flagKey = bound === 'minimum' ? 'exclusiveMinimum' : 'exclusiveMaximum';
    const flag = out[flagKey];
    if (typeof flag !== 'boolean') continue;
    delete out[flagKey];
    if (flag && typeof out[bound] === 'number') {
      out[flagKey] = out[bound];
      delete out[bound];
    }
  }
  const properties = out.properties as Record<string, Record<string, unknown>> | undefined;
  if (Array.isArray(out.required) && properties) {
    out.required = out.required.filter((name) => properties[String(name)]?.writeOnly !== true);
  }
  return source.nullable === true ? { anyOf: [out, { type: 'null' }] } : out;
}
