import { AppError } from '@spectest/contracts';
import { CST, Composer, Document, LineCounter, Parser, YAMLError, YAMLParseError } from 'yaml';
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
    const lineCounter = new LineCounter();
    const doc = composeYaml(text, lineCounter, limits.maxDepth);
    if (doc.errors.length > 0) {
      const errors = doc.errors.slice(0, 20).map((e) => located(e, text, lineCounter));
      throw invalidSpec(`The spec is neither valid JSON nor valid YAML: ${errors[0].message}`, errors);
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

/**
 * yaml's parseDocument, with the nesting of the syntax tree checked before it is composed: the composer
 * (and toJS) recurse once per level, so a document thousands of levels deep would overflow the stack,
 * which yaml reports as an ordinary parse error. The lexer and the CST parser are iterative.
 */
function composeYaml(text: string, lineCounter: LineCounter, maxDepth: number): Document.Parsed {
  const composer = new Composer({ merge: true, uniqueKeys: true });
  const tokens = new Parser(lineCounter.addNewLine).parse(text);
  let doc: Document.Parsed | undefined;
  for (const composed of composer.compose(depthChecked(tokens, maxDepth), true, text.length)) {
    if (doc) {
      doc.errors.push(new YAMLParseError(composed.range.slice(0, 2) as [number, number], 'MULTIPLE_DOCS', 'Source contains multiple documents'));
      break;
    }
    doc = composed;
  }
  // compose(…, forceDoc = true) always ends with a document.
  return doc!;
}

function* depthChecked(tokens: Iterable<CST.Token>, maxDepth: number): Generator<CST.Token> {
  for (const token of tokens) {
    if (collectionDepth(token) > maxDepth) throw tooDeep(maxDepth);
    yield token;
  }
}

/** Deepest collection under `token`, the outermost being 0 (as assertDepthWithin counts), -1 for none. Iterative. */
function collectionDepth(token: CST.Token): number {
  let deepest = -1;
  const stack: [CST.Token | undefined, number][] = [[token, -1]];
  while (stack.length > 0) {
    const [node, depth] = stack.pop()!;
    if (!node) continue;
    if (node.type === 'document') stack.push([node.value, depth]);
    else if (node.type === 'block-map' || node.type === 'block-seq' || node.type === 'flow-collection') {
      const inner = depth + 1;
      deepest = Math.max(deepest, inner);
      for (const item of node.items) stack.push([item.key ?? undefined, inner], [item.value, inner]);
    }
  }
  return deepest;
}

/** yaml's position, as its prettyErrors option would add it: line, column and the line itself. */
function located(error: YAMLError, text: string, lineCounter: LineCounter): { message: string; line: number | null } {
  if (error.pos[0] < 0) return { message: error.message, line: null };
  const { line, col } = lineCounter.linePos(error.pos[0]);
  const lineText = text.slice(lineCounter.lineStarts[line - 1], lineCounter.lineStarts[line] ?? text.length).replace(/[\n\r]+$/, '');
  const from = Math.max(0, col - 40);
  const excerpt = (from > 0 ? '…' : '') + lineText.slice(from, from + 80) + (lineText.length > from + 80 ? '…' : '');
  return { message: `${error.message} at line ${line}, column ${col}: ${excerpt.trim()}`, line };
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
