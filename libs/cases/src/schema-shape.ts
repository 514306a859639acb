import { JsonSchema, asRecord } from './operation-view';
import { setOwnProperty } from '@spectest/openapi';

export type PrimaryType = 'integer' | 'number' | 'boolean' | 'array' | 'object' | 'string' | null;

/** An object schema with its `allOf` parts folded in, so required fields and properties are all in one place. */
export function flattenObjectSchema(schema: JsonSchema): { properties: Record<string, JsonSchema>; required: string[] } {
  const properties: Record<string, JsonSchema> = {};
  const required = new Set<string>();
  const visit = (part: JsonSchema, depth: number) => {
    if (depth > 16) return;
    for (const [name, prop] of Object.entries(asRecord(part.properties))) {
      if (prop && typeof prop === 'object' && !Object.hasOwn(properties, name)) setOwnProperty(properties, name, prop as JsonSchema);
    }
    if (Array.isArray(part.required)) for (const name of part.required) if (typeof name === 'string') required.add(name);
    if (Array.isArray(part.allOf)) for (const sub of part.allOf) visit(asRecord(sub), depth + 1);
  };
  visit(schema, 0);
  return { properties, required: [...required] };
}

export function isObjectSchema(schema: JsonSchema | null): schema is JsonSchema {
  if (!schema) return false;
  return primaryType(schema) === 'object';
}

/**
 * The one type a value must have, or null when the schema admits several or says nothing usable.
 * A schema that admits strings counts as 'string': any wrong-typed value would be a valid string.
 */
export function primaryType(schema: JsonSchema): PrimaryType {
  const declared = Array.isArray(schema.type) ? schema.type.filter((t) => t !== 'null') : schema.type ? [schema.type] : [];
  if (declared.includes('string')) return 'string';
  if (declared.length === 1 && ['integer', 'number', 'boolean', 'array', 'object'].includes(declared[0] as string)) {
    return declared[0] as PrimaryType;
  }
  if (declared.length > 1) return null;
  if (schema.properties) return 'object';
  if (Array.isArray(schema.allOf) && schema.allOf.some((part) => primaryType(asRecord(part)) === 'object')) return 'object';
  if (schema.items) return 'array';
  return null;
}

/** A value of a different JSON type that no reading of the schema accepts; null when none can be told apart. */
export function wrongTypeValue(type: PrimaryType): string | null {
  switch (type) {
    case 'integer':
    case 'number':
      return 'not-a-number';
    case 'boolean':
      return 'not-a-boolean';
    case 'array':
      return 'not-an-array';
    case 'object':
      return 'not-an-object';
    default:
      return null;
  }
}
