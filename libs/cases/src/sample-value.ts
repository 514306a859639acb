import { sample } from 'openapi-sampler';
import { JsonSchema, asRecord } from './operation-view';
import { patternSample } from './pattern-value';

export interface ChosenValue {
  value: unknown;
  /** Where the value came from, for the case's `reason`. */
  origin: 'example' | 'sample';
  /** Patterns the sample could not be made to match (the sampler's plain value was kept for them). */
  unmetPatterns: string[];
}

/**
 * The value a positive case sends: a documented example when there is one (authors pick examples
 * that work), else a sample generated from the schema. `seed` picks among several named examples.
 */
export function chooseValue(holder: Record<string, unknown>, schema: JsonSchema | null, seed: number): ChosenValue {
  const documented = documentedExample(holder, seed) ?? (schema ? documentedExample(schema, seed) : undefined);
  if (documented !== undefined) return { value: documented.value, origin: 'example', unmetPatterns: [] };
  if (!schema) return { value: 'example', origin: 'sample', unmetPatterns: [] };
  const { value, unmetPatterns } = sampleSchema(schema);
  return { value, origin: 'sample', unmetPatterns };
}

/**
 * A sample of the schema whose strings match their `pattern`: openapi-sampler ignores patterns (its
 * `enablePatterns` knows a few regex forms only), so each string schema with a pattern and nothing
 * to take a value from gets an `example` that matches (see patternSample) before sampling.
 */
export function sampleSchema(schema: JsonSchema): { value: unknown; unmetPatterns: string[] } {
  const prepared = withPatternExamples(schema);
  try {
    return { value: sample(prepared.schema as never, { skipReadOnly: true, quiet: true }), unmetPatterns: [...new Set(prepared.unmet)] };
  } catch {
    return { value: null, unmetPatterns: [] };
  }
}

interface Prepared {
  schema: JsonSchema;
  unmet: string[];
}

// Views share their schema objects and never change them, so one rewrite per object serves every sample.
const prepared = new WeakMap<object, Prepared>();
const VALUE_KEYWORDS = ['example', 'examples', 'const', 'enum', 'default'];
const SCHEMA_MAPS = ['properties'];
const SCHEMA_LISTS = ['allOf', 'prefixItems'];
const SCHEMA_SINGLES = ['items', 'additionalProperties', 'if', 'then', 'else'];

/** The schema with an `example` on every pattern-constrained string the sampler would reach; shares what it does not change. */
function withPatternExamples(schema: JsonSchema, inProgress = new Set<object>()): Prepared {
  const known = prepared.get(schema);
  if (known) return known;
  if (inProgress.has(schema)) return { schema, unmet: [] };
  inProgress.add(schema);
  let result: Prepared;
  if (typeof schema.pattern === 'string' && admitsString(schema) && !VALUE_KEYWORDS.some((key) => schema[key] !== undefined)) {
    result = patternLeaf(schema);
  } else {
    const changes: Record<string, unknown> = {};
    const unmet: string[] = [];
    const visit = (value: unknown): unknown => {
      if (!value || typeof value !== 'object' || Array.isArray(value)) return value;
      const child = withPatternExamples(value as JsonSchema, inProgress);
      unmet.push(...child.unmet);
      return child.schema;
    };
    for (const key of SCHEMA_MAPS) {
      const map = schema[key];
      if (!map || typeof map !== 'object' || Array.isArray(map)) continue;
      const entries = Object.entries(map as Record<string, unknown>).map(([name, value]) => [name, visit(value)] as const);
      if (entries.some(([name, value]) => value !== (map as Record<string, unknown>)[name])) changes[key] = Object.fromEntries(entries);
    }
    // The sampler takes the first oneOf/anyOf branch only.
    for (const key of [...SCHEMA_LISTS, 'oneOf', 'anyOf']) {
      const list = schema[key];
      if (!Array.isArray(list)) continue;
      const mapped = key === 'oneOf' || key === 'anyOf' ? [visit(list[0]), ...list.slice(1)] : list.map(visit);
      if (mapped.some((value, index) => value !== list[index])) changes[key] = mapped;
    }
    for (const key of SCHEMA_SINGLES) {
      const mapped = visit(schema[key]);
      if (mapped !== schema[key]) changes[key] = mapped;
    }
    result = { schema: Object.keys(changes).length > 0 ? { ...schema, ...changes } : schema, unmet };
  }
  inProgress.delete(schema);
  prepared.set(schema, result);
  return result;
}

function admitsString(schema: JsonSchema): boolean {
  const type = schema.type;
  return type === undefined || type === 'string' || (Array.isArray(type) && type.includes('string'));
}

function patternLeaf(schema: JsonSchema): Prepared {
  const value = patternSample(schema, [trySample({ ...schema, pattern: undefined }, false)]);
  if (value !== null) return { schema: { ...schema, example: value }, unmet: [] };
  // randexp found nothing; openapi-sampler's own pattern support is the last resort.
  const fallback = patternSample(schema, [trySample(schema, true)]);
  if (fallback !== null) return { schema: { ...schema, example: fallback }, unmet: [] };
  return { schema, unmet: schema.readOnly === true ? [] : [schema.pattern as string] };
}

function trySample(schema: JsonSchema, enablePatterns: boolean): unknown {
  try {
    return sample(schema as never, { quiet: true, enablePatterns });
  } catch {
    return undefined;
  }
}

function documentedExample(holder: Record<string, unknown>, seed: number): { value: unknown } | undefined {
  if (holder.example !== undefined) return { value: holder.example };
  const examples = holder.examples;
  if (Array.isArray(examples) && examples.length > 0) return { value: examples[pick(seed, examples.length)] };
  if (examples && typeof examples === 'object') {
    // Example Objects with an inline value only: an externalValue would be a fetch.
    const values = Object.values(examples as Record<string, unknown>)
      .map(asRecord)
      .filter((e) => e.value !== undefined);
    if (values.length > 0) return { value: values[pick(seed, values.length)].value };
  }
  return undefined;
}

/** Which of `length` documented examples a seed picks. */
export function pick(seed: number, length: number): number {
  return ((Math.trunc(seed) % length) + length) % length;
}
