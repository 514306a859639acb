import { resolveJsonPointer, setOwnProperty } from '@spectest/openapi';

/**
 * OpenAPI schema object -> plain JSON Schema, for validating a response in the generated suites.
 * Done once at generation time so the node:test project (ajv 8, JSON Schema 2020-12) and the Postman
 * collection (the sandbox's ajv 6, draft-07) check the same thing, and neither needs OpenAPI knowledge:
 * - `nullable: true` (3.0) -> anyOf [schema, {type: null}];
 * - boolean exclusiveMinimum/exclusiveMaximum (3.0) -> the numeric form;
 * - writeOnly properties are not required in a response;
 * - OpenAPI-only annotations (example, discriminator, xml) and $schema/$id are dropped.
 * 3.1 schemas are JSON Schema already and pass through unchanged apart from those rules.
 * The document keeps its `$ref`s, and so do the response schemas of cases: `refer` rewrites each local
 * reference to where the generated suite keeps that target (SharedSchemas).
 */
const ONE = ['items', 'additionalProperties', 'not', 'contains', 'propertyNames', 'if', 'then', 'else', 'unevaluatedItems', 'unevaluatedProperties', 'additionalItems'];
const LIST = ['allOf', 'anyOf', 'oneOf', 'prefixItems'];
const MAP = ['properties', 'patternProperties', '$defs', 'definitions', 'dependentSchemas'];
// $schema/$id: a schema's own $id would move the base its $refs resolve against, and a draft-07 $schema URI would make ajv 8 refuse it.
const DROPPED = ['nullable', 'example', 'discriminator', 'xml', '$schema', '$id'];

export function responseJsonSchema(schema: unknown, refer?: (ref: string) => string): unknown {
  if (schema === null || typeof schema !== 'object' || Array.isArray(schema)) return schema;
  const source = schema as Record<string, unknown>;
  const convert = (sub: unknown) => responseJsonSchema(sub, refer);
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(source)) {
    if (DROPPED.includes(key)) continue;
    if (key === '$ref' && typeof value === 'string' && refer && value.startsWith('#')) out[key] = refer(value);
    else if (ONE.includes(key)) out[key] = convert(value);
    else if (LIST.includes(key) && Array.isArray(value)) out[key] = value.map(convert);
    else if (MAP.includes(key) && value && typeof value === 'object' && !Array.isArray(value)) {
      out[key] = Object.fromEntries(Object.entries(value).map(([name, sub]) => [name, convert(sub)]));
    } else setOwnProperty(out, key, value);
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

/** `$id` of the document that holds every schema a response schema refers to, once (tests/support/schemas.json, Postman variable). */
export const SHARED_SCHEMAS_ID = 'spectest-schemas.json';

/**
 * The targets of the `$ref`s in the response schemas of cases, each converted once into one shared
 * document `{ $id, $defs }` keyed by the reference as the spec writes it; the case schemas and the
 * targets themselves point into it (`spectest-schemas.json#/$defs/...`). A big spec's suite then carries
 * each component once instead of a copy per case.
 */
export class SharedSchemas {
  private readonly defs = new Map<string, unknown>();

  /** `collect: false` only rewrites references (a part of the suite whose shared document is written elsewhere). */
  constructor(
    private readonly document: unknown,
    private readonly collect = true,
  ) {}

  /** A case's response schema as JSON Schema, references pointing into the shared document. */
  convert(schema: unknown): unknown {
    return responseJsonSchema(schema, (ref) => this.refer(ref));
  }

  /** The shared document, definitions sorted so the same cases give the same text. */
  shared(): { $id: string; $defs: Record<string, unknown> } {
    const $defs = Object.fromEntries([...this.defs.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
    return { $id: SHARED_SCHEMAS_ID, $defs };
  }

  private refer(ref: string): string {
    if (this.collect && !this.defs.has(ref)) {
      this.defs.set(ref, {}); // a cycle back to this target meets the entry and stops
      const target = resolveJsonPointer(this.document, ref);
      this.defs.set(ref, target === undefined ? {} : this.convert(target));
    }
    const segment = ref.replace(/~/g, '~0').replace(/\//g, '~1');
    return `${SHARED_SCHEMAS_ID}#/$defs/${encodeURIComponent(segment)}`;
  }
}
