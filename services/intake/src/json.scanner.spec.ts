import { hasUnstorableText } from '@spectest/contracts';
import { countingLoopTurns } from '@spectest/testing';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { decodeJsonString, decodeJsonStringInSlices } from './json-string.decoder';
import { JsonScanError, JsonScanner, toJsonPointer } from './json.scanner';

/** Scans `text` fed in pieces of `piece` bytes (1: every byte on its own). */
function scan(text: string | Buffer, piece = Infinity, maxDepth = 10_000): JsonScanner {
  const bytes = Buffer.isBuffer(text) ? text : Buffer.from(text, 'utf8');
  const scanner = new JsonScanner(maxDepth);
  for (let at = 0; at < bytes.length; at += piece) scanner.write(bytes.subarray(at, Math.min(bytes.length, at + piece)));
  scanner.end();
  return scanner;
}

const refusal = (text: string | Buffer, piece = Infinity, maxDepth = 10_000): JsonScanError => {
  try {
    scan(text, piece, maxDepth);
  } catch (error) {
    if (error instanceof JsonScanError) return error;
    throw error;
  }
  throw new Error(`accepted: ${String(text).slice(0, 80)}`);
};

/** A NUL or an unpaired surrogate in any key or string of a parsed value. */
function hasUnstorable(value: unknown): boolean {
  if (typeof value === 'string') return hasUnstorableText(value);
  if (value === null || typeof value !== 'object') return false;
  return Object.entries(value).some(([k, v]) => hasUnstorableText(k) || hasUnstorable(v));
}

const VALID = [
  '{}', '[]', '0', '-0', '1.5e+10', '-1.25E-3', '12', '"x"', 'true', 'false', 'null', ' \n\t\r{ } ',
  '{"a":1,"b":[1,2,{"c":null}],"d":"é😀\\n\\t\\"\\\\\\/\\b\\f\\r\\u00e9\\ud83d\\ude00"}',
  '[[[[]]],[],{"":""}]', '{"a":{"a":{"a":[0.0,1e5,2E-5,3.25]}}}', '[-1,0,-0.5,1e0]', '{"spec":"a","spec":"b"}',
];
const INVALID = [
  '', ' ', '{', '}', '[', ']', '{"a"}', '{"a":}', '{"a":1,}', '[1,]', '[,1]', '{,}', '{"a":1 "b":2}', '[1 2]',
  '01', '1.', '.5', '-', '1e', '1e+', '+1', '0x10', 'tru', 'nul', 'True', 'NaN', 'Infinity', '"a', '"\\x"',
  '"\\u12G4"', '"a\tb"', '"a\nb"', "'a'", '{a:1}', '[1]]', '{}{}', '{} x', '[1,2', '{"a":1}}', '"\\', '[-]',
];

describe('JsonScanner', () => {
  it.each(VALID)('accepts %j, whole and byte by byte', (text) => {
    expect(() => JSON.parse(text)).not.toThrow();
    scan(text);
    scan(text, 1);
  });

  it.each(INVALID)('refuses %j as syntax, like JSON.parse, whole and byte by byte', (text) => {
    expect(() => JSON.parse(text)).toThrow();
    expect(refusal(text).problem).toBe('syntax');
    expect(refusal(text, 1).problem).toBe('syntax');
  });

  it('agrees with JSON.parse on thousands of mangled documents, in random pieces', () => {
    const seed = readFileSync(join(__dirname, '..', '..', '..', 'tests', 'fixtures', 'petstore.swagger2.json'), 'utf8').slice(0, 3000);
    const base = JSON.stringify({ spec: JSON.parse(readFileSync(join(__dirname, '..', '..', '..', 'tests', 'fixtures', 'petstore.swagger2.json'), 'utf8')), n: [1, -2.5e3, true, null], s: 'é\\u00e9' });
    let random = 42;
    const next = (n: number) => ((random = (random * 1103515245 + 12345) % 2 ** 31) % n);
    const alphabet = '{}[]",:\\u0123456789abcdefe.-+ \n\tDdnrtl';
    let agreed = 0;
    for (let round = 0; round < 3000; round++) {
      let text = round % 2 ? base : seed;
      for (let edits = 1 + next(3); edits > 0; edits--) {
        const at = next(text.length);
        const op = next(3);
        const ch = alphabet[next(alphabet.length)];
        text = op === 0 ? text.slice(0, at) + text.slice(at + 1) : op === 1 ? text.slice(0, at) + ch + text.slice(at) : text.slice(0, at) + ch + text.slice(at + 1);
      }
      let parsed: unknown;
      let valid = true;
      try {
        parsed = JSON.parse(text);
      } catch {
        valid = false;
      }
      const piece = 1 + next(64);
      if (!valid) expect([text, refusal(text, piece).problem]).toEqual([text, 'syntax']);
      else if (hasUnstorable(parsed)) expect(['nul', 'surrogate']).toContain(refusal(text, piece).problem);
      else expect(() => scan(text, piece)).not.toThrow();
      agreed++;
    }
    expect(agreed).toBe(3000);
  });

  it('records where each member of a top-level object lies, whatever the pieces', () => {
    const text = ' { "name" : "n\\u00e9" , "spec" : {"openapi":"3.0.3","x":[1,{"y":"}"}]} , "n": -1.5e2, "t":true,"o":{} } ';
    for (const piece of [1, 2, 7, Infinity]) {
      const scanner = scan(text, piece);
      expect(scanner.isObject).toBe(true);
      const bytes = Buffer.from(text);
      const members = scanner.members.map((m) => [m.key, JSON.parse(bytes.subarray(m.start, m.end).toString())]);
      expect(Object.fromEntries(members)).toEqual(JSON.parse(text));
    }
    expect(scan('[1,2]').isObject).toBe(false);
    expect(scan('"s"').members).toEqual([]);
  });

  it('refuses \\u0000 and unpaired surrogates in values and keys, naming the path', () => {
    const cases: [string, string, string][] = [
      ['{"info":{"title":"a\\u0000b"}}', 'nul', '/info/title'],
      ['{"paths":{"/p/{id}":{"get":{"tags":["ok","\\ud800x"]}}}}', 'surrogate', '/paths/~1p~1{id}/get/tags/1'],
      ['{"a":"\\udc00"}', 'surrogate', '/a'],
      ['{"a":"\\ud800"}', 'surrogate', '/a'],
      ['{"a":"\\ud800\\n"}', 'surrogate', '/a'],
      ['{"a":"\\ud800\\u0041"}', 'surrogate', '/a'],
      ['{"a~b":{"k\\u0000":1}}', 'nul', '/a~0b'],
      ['["x",["y","\\u0000"]]', 'nul', '/1/1'],
    ];
    for (const [text, problem, pointer] of cases) {
      for (const piece of [1, 3, Infinity]) {
        const error = refusal(text, piece);
        expect([text, error.problem, toJsonPointer(error.path)]).toEqual([text, problem, pointer]);
      }
    }
    expect(refusal('{"a~b":{"k\\u0000":1}}').message).toMatch(/a key of \/a~0b/);
    scan('{"a":"\\ud83d\\ude00 \\u0001"}');
  });

  it('refuses nesting deeper than maxDepth containers with the path, before reading further, and does not recurse', () => {
    expect(() => scan('[[[]]]', Infinity, 3)).not.toThrow();
    const error = refusal('{"a":[{"b":[1]}]}', Infinity, 3);
    expect([error.problem, toJsonPointer(error.path)]).toEqual(['too_deep', '/a/0/b']);
    const deep = '{"a":'.repeat(100_000) + '1' + '}'.repeat(100_000);
    expect(refusal(deep, 4096, 200).problem).toBe('too_deep');
    expect(() => scan(deep, 65_536, 200_000)).not.toThrow();
  });

  it('scans a 20 MiB string member and decodes it as JSON.parse does', () => {
    const big = Buffer.from(JSON.stringify({ spec: 'openapi: 3.0.3\n' + 'x: "a\\n"\n'.repeat(2_000_000) }));
    const scanner = scan(big, 65_536);
    const spec = scanner.members.find((m) => m.key === 'spec')!;
    expect(decodeJsonString(big.subarray(spec.start + 1, spec.end - 1)).toString()).toBe(JSON.parse(big.toString()).spec);
  });
});

describe('decodeJsonString', () => {
  it.each(['', 'plain', 'é😀', '\\n\\t\\"\\\\\\/\\b\\f\\r', '\\u00e9\\u20ac\\ud83d\\ude00x', 'a\\u0041\\u0000b'])('decodes %j as JSON.parse does', (raw) => {
    expect(decodeJsonString(Buffer.from(raw)).toString('utf8')).toBe(JSON.parse(`"${raw}"`));
  });

  it('decodes a big string in slices, letting the event loop turn, to the same bytes', async () => {
    const raw = Buffer.from(JSON.stringify('paths:\n  /p: "\u00e9 😀"\n'.repeat(400_000)).slice(1, -1));
    const { result: sliced, turns } = await countingLoopTurns(() => decodeJsonStringInSlices(raw));
    expect(sliced.equals(decodeJsonString(raw))).toBe(true);
    expect(sliced.toString()).toBe(JSON.parse(`"${raw}"`));
    expect(turns).toBeGreaterThan(1);
  });

  it('returns a string without escapes as it is, and an unpaired surrogate as U+FFFD', () => {
    const raw = Buffer.from('no escapes');
    expect(decodeJsonString(raw)).toBe(raw);
    expect(decodeJsonString(Buffer.from('a\\ud800b')).toString()).toBe('a\uFFFDb');
  });
});
