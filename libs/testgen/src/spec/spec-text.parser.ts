import { AppError } from '@spectest/contracts';
import { parseDocument } from 'yaml';
import { SpecLimits } from './spec-limits';
import { invalidSpec } from './spec-errors';
import { assertDepthWithin } from './document-depth.guard';

const MiB = 1024 * 1024;

/**
 * Turns the caller's input into a plain JSON value we own (never the caller's object),
 * enforcing the size, alias and depth limits before anything else looks at it.
 */
export function parseSpecInput(input: string | Buffer | object, limits: SpecLimits): unknown {
  if (Buffer.isBuffer(input) || input instanceof Uint8Array) {
    assertSize(input.byteLength, limits);
    return parseSpecText(decodeUtf8(input), limits);
  }
  if (typeof input === 'string') {
    assertSize(Buffer.byteLength(input, 'utf8'), limits);
    return parseSpecText(input.replace(/^\uFEFF/, ''), limits);
  }
  if (input === null || typeof input !== 'object') {
    throw invalidSpec('The spec must be YAML or JSON text, or an object; got ' + describe(input) + '.');
  }
  return cloneObjectInput(input, limits);
}

function cloneObjectInput(input: object, limits: SpecLimits): unknown {
  // Depth first: it also refuses cycles, which JSON.stringify would only report as a TypeError.
  assertDepthWithin(input, limits.maxDepth);
  let json: string;
  try {
    json = JSON.stringify(input);
  } catch (error) {
    throw invalidSpec(`The spec object cannot be serialised as JSON: ${(error as Error).message}`);
  }
  assertSize(Buffer.byteLength(json, 'utf8'), limits);
  return JSON.parse(json);
}

function parseSpecText(text: string, limits: SpecLimits): unknown {
  if (text.trim() === '') throw invalidSpec('The spec is empty: send the OpenAPI document as YAML or JSON text.');
  if (text.includes('\u0000')) throw invalidSpec('The spec looks binary (it contains NUL bytes): send YAML or JSON text.');
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{') || trimmed.startsWith('[')) {
    try {
      return withDepthCheck(JSON.parse(text), limits);
    } catch (error) {
      if (error instanceof AppError) throw error;
      // Flow-style YAML (comments, unquoted keys) also starts with a brace: let YAML have a go.
      try {
        return parseYaml(text, limits);
      } catch {
        throw invalidSpec(`The spec is not valid JSON: ${(error as Error).message}`);
      }
    }
  }
  return parseYaml(text, limits);
}

function parseYaml(text: string, limits: SpecLimits): unknown {
  let value: unknown;
  try {
    const doc = parseDocument(text, { merge: true, prettyErrors: true, uniqueKeys: true });
    if (doc.errors.length > 0) {
      const details = doc.errors.slice(0, 20).map((e) => ({ message: e.message, line: e.linePos?.[0]?.line ?? null }));
      throw invalidSpec(`The spec is neither valid JSON nor valid YAML: ${doc.errors[0].message}`, details);
    }
    value = doc.toJS({ maxAliasCount: limits.maxAliases });
  } catch (error) {
    if (error instanceof AppError) throw error;
    if (error instanceof ReferenceError && /alias/i.test(error.message)) {
      throw new AppError(
        'spec_too_large',
        `The YAML expands more aliases than allowed (maxAliases ${limits.maxAliases}); ` +
          'this pattern is used by "billion laughs" attacks. Inline the repeated parts or use $ref.',
        413,
      );
    }
    if (error instanceof RangeError) throw tooDeep(limits.maxDepth);
    throw invalidSpec(`The spec could not be parsed as YAML: ${(error as Error).message}`);
  }
  return withDepthCheck(value, limits);
}

function withDepthCheck(value: unknown, limits: SpecLimits): unknown {
  assertDepthWithin(value, limits.maxDepth);
  return value;
}

function tooDeep(maxDepth: number): AppError {
  return new AppError('spec_too_deep', `The spec nests deeper than ${maxDepth} levels.`, 400);
}

function assertSize(bytes: number, limits: SpecLimits): void {
  if (bytes > limits.maxBytes) {
    throw new AppError(
      'spec_too_large',
      `The spec is ${formatBytes(bytes)}; the limit is ${formatBytes(limits.maxBytes)}.`,
      413,
    );
  }
}

function decodeUtf8(bytes: Uint8Array): string {
  try {
    // fatal: refuse binary uploads instead of silently turning them into U+FFFD soup.
    return new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw invalidSpec('The spec is not UTF-8 text (is it a binary or compressed file?): send YAML or JSON text.');
  }
}

function formatBytes(bytes: number): string {
  return bytes >= MiB ? `${(bytes / MiB).toFixed(1)} MiB` : `${bytes} bytes`;
}

export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') return 'an object';
  return `a ${typeof value}`;
}
