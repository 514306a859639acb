import { sample } from 'openapi-sampler';
import { JsonSchema, asRecord } from './operation-view';

export interface ChosenValue {
  value: unknown;
  /** Where the value came from, for the case's `reason`. */
  origin: 'example' | 'sample';
}

/**
 * The value a positive case sends: a documented example when there is one (authors pick examples
 * that work), else a sample generated from the schema. `seed` picks among several named examples.
 */
export function chooseValue(holder: Record<string, unknown>, schema: JsonSchema | null, seed: number): ChosenValue {
  const documented = documentedExample(holder, seed) ?? (schema ? documentedExample(schema, seed) : undefined);
  if (documented !== undefined) return { value: documented.value, origin: 'example' };
  return { value: schema ? sampleSchema(schema) : 'example', origin: 'sample' };
}

export function sampleSchema(schema: JsonSchema): unknown {
  try {
    return sample(schema as never, { skipReadOnly: true, quiet: true });
  } catch {
    return null;
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
