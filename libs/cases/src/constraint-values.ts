import { JsonSchema } from './operation-view';
import { primaryType } from './schema-shape';
import { compilePattern, keepsLengthAndFormat, patternSample, stringRules } from './pattern-value';

export type ConstraintKind = 'enum_violation' | 'out_of_range' | 'too_long' | 'pattern_mismatch';

/** A value that breaks exactly one documented constraint of a schema, and what that constraint says. */
export interface ConstraintBreak {
  kind: ConstraintKind;
  /** enum, minimum, exclusiveMinimum, maximum, exclusiveMaximum, maxLength or pattern. */
  keyword: string;
  value: string | number;
  /** "must be one of a, b", "must be at most 100": the rule, for the case's reason. */
  rule: string;
}

/** Longer strings than this make a maxLength case a payload of its own; such limits are left to other tests. */
const MAX_LENGTH_PROBED = 1024;
const PATTERN_PROBES = ['~!@#$%', ' ', '0', 'zzzzzzzz', 'ZZZZ-0000', '_', 'x'];

/**
 * Values that a conforming server must reject for this schema, at most one per keyword. Only keywords
 * whose violation the value alone proves are used: a schema admitting strings gets enum/maxLength/pattern
 * breaks (a string that breaks them is invalid whatever else the schema admits), a numeric one
 * enum/minimum/maximum breaks; objects, arrays and schemas of several non-string types get none.
 */
export function constraintBreaks(schema: JsonSchema | null): ConstraintBreak[] {
  if (!schema) return [];
  const type = primaryType(schema);
  if (type === 'string') return stringBreaks(schema);
  if (type === 'integer' || type === 'number') return numberBreaks(schema, type);
  return [];
}

function stringBreaks(schema: JsonSchema): ConstraintBreak[] {
  const breaks: ConstraintBreak[] = [];
  const allowed = Array.isArray(schema.enum) ? schema.enum : null;
  if (allowed && allowed.length > 0 && allowed.every((v) => typeof v === 'string')) {
    let value = 'not-in-enum';
    while (allowed.includes(value)) value += '-x';
    breaks.push({ kind: 'enum_violation', keyword: 'enum', value, rule: `must be one of ${listed(allowed)}` });
  }
  if (Number.isInteger(schema.maxLength) && (schema.maxLength as number) < MAX_LENGTH_PROBED && !allowed) {
    const max = schema.maxLength as number;
    breaks.push({ kind: 'too_long', keyword: 'maxLength', value: 'a'.repeat(max + 1), rule: `must be at most ${max} characters long` });
  }
  if (typeof schema.pattern === 'string' && !allowed) {
    const probe = nonMatching(schema.pattern, schema);
    if (probe !== null) breaks.push({ kind: 'pattern_mismatch', keyword: 'pattern', value: probe, rule: `must match the pattern ${schema.pattern}` });
  }
  return breaks;
}

function numberBreaks(schema: JsonSchema, type: 'integer' | 'number'): ConstraintBreak[] {
  const breaks: ConstraintBreak[] = [];
  const allowed = Array.isArray(schema.enum) ? schema.enum : null;
  if (allowed && allowed.length > 0 && allowed.every((v) => typeof v === 'number')) {
    const value = Math.max(...(allowed as number[])) + 1;
    breaks.push({ kind: 'enum_violation', keyword: 'enum', value, rule: `must be one of ${listed(allowed)}` });
    return breaks;
  }
  const step = type === 'integer' ? 1 : 0.5;
  const low = lowerBound(schema);
  if (low) breaks.push({ kind: 'out_of_range', keyword: low.keyword, value: low.exclusive ? low.bound : low.bound - step, rule: low.rule });
  const high = upperBound(schema);
  if (high) breaks.push({ kind: 'out_of_range', keyword: high.keyword, value: high.exclusive ? high.bound : high.bound + step, rule: high.rule });
  return breaks.filter((b) => Number.isFinite(b.value) && (type === 'number' || Number.isSafeInteger(b.value)));
}

type Bound = { keyword: string; bound: number; exclusive: boolean; rule: string };

/** OpenAPI 3.0 writes `exclusiveMinimum: true` beside `minimum`; 3.1 (JSON Schema 2020-12) writes the bound itself. */
function lowerBound(schema: JsonSchema): Bound | null {
  if (typeof schema.exclusiveMinimum === 'number') {
    return { keyword: 'exclusiveMinimum', bound: schema.exclusiveMinimum, exclusive: true, rule: `must be greater than ${schema.exclusiveMinimum}` };
  }
  if (typeof schema.minimum !== 'number') return null;
  return schema.exclusiveMinimum === true
    ? { keyword: 'exclusiveMinimum', bound: schema.minimum, exclusive: true, rule: `must be greater than ${schema.minimum}` }
    : { keyword: 'minimum', bound: schema.minimum, exclusive: false, rule: `must be at least ${schema.minimum}` };
}

function upperBound(schema: JsonSchema): Bound | null {
  if (typeof schema.exclusiveMaximum === 'number') {
    return { keyword: 'exclusiveMaximum', bound: schema.exclusiveMaximum, exclusive: true, rule: `must be less than ${schema.exclusiveMaximum}` };
  }
  if (typeof schema.maximum !== 'number') return null;
  return schema.exclusiveMaximum === true
    ? { keyword: 'exclusiveMaximum', bound: schema.maximum, exclusive: true, rule: `must be less than ${schema.maximum}` }
    : { keyword: 'maximum', bound: schema.maximum, exclusive: false, rule: `must be at most ${schema.maximum}` };
}

/**
 * A string the pattern does not match that keeps the length limits and the format, so the pattern is the
 * only reason to refuse it: first a few short probes, then variants of a matching value (case swapped,
 * a character replaced, one more or one less). Patterns JavaScript cannot compile get no case. The
 * candidates are short, which bounds the time even a catastrophically backtracking pattern can take.
 */
function nonMatching(pattern: string, schema: JsonSchema): string | null {
  const regex = compilePattern(pattern);
  if (!regex) return null;
  const rules = stringRules(schema, regex);
  const breaks = (candidate: string) => !regex.test(candidate) && keepsLengthAndFormat(rules, candidate);
  const probe = PATTERN_PROBES.find(breaks);
  if (probe !== undefined) return probe;
  const valid = patternSample(schema, []);
  if (valid === null) return null;
  return variants(valid).find(breaks) ?? null;
}

function variants(value: string): string[] {
  const chars = [...value];
  return [
    value.toUpperCase(),
    value.toLowerCase(),
    chars.map((c) => (/\d/.test(c) ? 'x' : /[a-z]/i.test(c) ? '0' : c)).join(''),
    chars.map((c) => (/\d/.test(c) ? 'A' : c)).join(''),
    chars.map((c) => (/\w/.test(c) ? '~' : 'a')).join(''),
    '~' + chars.slice(1).join(''),
    chars.slice(0, -1).join('') + '~',
    value + '~',
    '~' + value,
    chars.slice(1).join(''),
    chars.slice(0, -1).join(''),
  ].filter((candidate) => candidate !== value);
}

function listed(values: unknown[]): string {
  const shown = values.slice(0, 8).map((v) => JSON.stringify(v));
  return shown.join(', ') + (values.length > 8 ? `, … (${values.length} values)` : '');
}
