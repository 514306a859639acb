import RandExp from 'randexp';
import { fullFormats } from 'ajv-formats/dist/formats';
import { JsonSchema } from './operation-view';

/**
 * A `pattern` compiled as a validator compiles it: ajv uses the `u` flag; a pattern that is only legal
 * without it (`\-` outside a class) is tried that way too. Null: JavaScript cannot compile it.
 */
export function compilePattern(pattern: string): RegExp | null {
  for (const flags of ['u', '']) {
    try {
      return new RegExp(pattern, flags);
    } catch {
      // next
    }
  }
  return null;
}

export interface StringRules {
  regex: RegExp;
  minLength: number;
  maxLength: number;
  format: string | null;
}

export function stringRules(schema: JsonSchema, regex: RegExp): StringRules {
  return {
    regex,
    minLength: Number.isInteger(schema.minLength) ? (schema.minLength as number) : 0,
    maxLength: Number.isInteger(schema.maxLength) ? (schema.maxLength as number) : Infinity,
    format: typeof schema.format === 'string' ? schema.format : null,
  };
}

/** Length in code points, as JSON Schema counts it. */
export function codePoints(value: string): number {
  let count = 0;
  for (const _char of value) count++;
  return count;
}

/** Whether `value` keeps the length limits and the format (as ajv-formats' full mode checks it; unknown formats pass). */
export function keepsLengthAndFormat(rules: StringRules, value: string): boolean {
  const length = codePoints(value);
  return length >= rules.minLength && length <= rules.maxLength && formatAccepts(rules.format, value);
}

function formatAccepts(format: string | null, value: string): boolean {
  if (!format) return true;
  const check = (fullFormats as Record<string, unknown>)[format];
  if (check instanceof RegExp) return check.test(value);
  if (typeof check === 'function') return Boolean(check(value));
  if (check && typeof check === 'object' && typeof (check as { validate?: unknown }).validate === 'function') {
    const validate = (check as { validate: unknown }).validate;
    return validate instanceof RegExp ? validate.test(value) : Boolean((validate as (v: string) => boolean)(value));
  }
  return true;
}

// Quantifiers above this make a sample a payload of its own (and `{1000000000}` would not finish).
const MAX_QUANTIFIER = 1000;
const MAX_SAMPLE_LENGTH = 4096;
const ALNUM: [number, number][] = [
  [48, 57],
  [65, 90],
  [97, 122],
];

const memo = new Map<string, string | null>();
const MEMO_LIMIT = 10_000;

/**
 * A string that satisfies the pattern, the length limits and the format of `schema`, preferring
 * `candidates` (the sampler's own values) when one already does; else generated from the pattern
 * with randexp: shortest first, from letters and digits, then longer, then seeded random attempts.
 * Null when none is found (lookarounds, conflicting limits, syntax randexp does not know).
 * Deterministic: the same schema gives the same string.
 */
export function patternSample(schema: JsonSchema, candidates: unknown[]): string | null {
  const pattern = schema.pattern as string;
  const regex = compilePattern(pattern);
  if (!regex) return null;
  const rules = stringRules(schema, regex);
  const fits = (value: unknown): value is string => typeof value === 'string' && regex.test(value) && keepsLengthAndFormat(rules, value);
  const ready = candidates.find(fits);
  if (ready !== undefined) return ready as string;
  const key = JSON.stringify([pattern, rules.minLength, rules.maxLength === Infinity ? null : rules.maxLength, rules.format]);
  if (memo.has(key)) return memo.get(key)!;
  const found = generate(pattern, regex, rules, fits);
  if (memo.size >= MEMO_LIMIT) memo.clear();
  memo.set(key, found);
  return found;
}

function generate(pattern: string, regex: RegExp, rules: StringRules, fits: (value: unknown) => boolean): string | null {
  const quantifiers = [...pattern.matchAll(/\{(\d+)/g)].map((m) => Number(m[1]));
  if (quantifiers.some((n) => n > MAX_QUANTIFIER)) return null;
  const attempts: { alnum: boolean; randInt: (a: number, b: number) => number }[] = [];
  for (const alnum of [true, false]) attempts.push({ alnum, randInt: (a) => a });
  for (const step of [1, 2, 4, 8, 16, 32, 64]) attempts.push({ alnum: true, randInt: (a, b) => Math.min(b, a + step) });
  const random = mulberry32(hash(pattern));
  for (let i = 0; i < 24; i++) {
    attempts.push({ alnum: i % 2 === 0, randInt: (a, b) => a + Math.floor(random() * (1 + Math.min(b, a + 64) - a)) });
  }
  for (const attempt of attempts) {
    let text: string;
    try {
      const generator = new RandExp(regex);
      generator.max = 64;
      if (attempt.alnum) {
        const range = generator.defaultRange.subtract(0, 0x10ffff);
        for (const [from, to] of ALNUM) range.add(from, to);
      }
      generator.randInt = attempt.randInt;
      text = generator.gen();
    } catch {
      return null;
    }
    if (text.length > MAX_SAMPLE_LENGTH) continue;
    for (const candidate of [text, ...padded(text, rules)]) if (fits(candidate)) return candidate;
  }
  return null;
}

/** A match that is too short, lengthened where the pattern leaves room (no anchor on that side); the regex has the last word. */
function padded(text: string, rules: StringRules): string[] {
  const missing = rules.minLength - codePoints(text);
  if (missing <= 0 || missing > MAX_SAMPLE_LENGTH) return [];
  return ['a', '0', 'A'].flatMap((filler) => [text + filler.repeat(missing), filler.repeat(missing) + text]);
}

function hash(text: string): number {
  let h = 2166136261;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 16777619);
  return h >>> 0;
}

/** A small seeded PRNG, so generated strings are the same on every run. */
function mulberry32(seed: number): () => number {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
