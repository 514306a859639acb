import { AppError, UNSTORABLE_TEXT } from '@spectest/contracts';
import { setImmediate as nextTurn } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';
import { JsonScanError, JsonScanner, JsonPath, toJsonPointer } from './json.scanner';

const BACKSLASH = 0x5c;
const SLICE_BYTES = 1024 * 1024;
/** A YAML inspection that takes longer is given up (the parsing stage still reads the spec, with its limits). */
const YAML_INSPECTION_TIMEOUT_MS = 20_000;
const YAML_WORKER_HEAP_MB = 256;

/** Where the first unstorable text is, and what it holds. */
interface Finding {
  path: JsonPath;
  problem: 'nul' | 'surrogate';
}

/**
 * Whether the text has an escape that YAML or JSON turns into a NUL or a surrogate: `\0`, `\x00`, `\u0000`,
 * `\U00000000`, `\uD800`-`\uDFFF` (or `\U0000D800`...). A raw NUL byte is refused before as binary; raw
 * surrogates cannot be written in UTF-8. Plain bytes otherwise, so the common case costs one pass of indexOf.
 */
export function hasUnstorableEscape(bytes: Buffer): boolean {
  for (let at = bytes.indexOf(BACKSLASH); at >= 0; at = bytes.indexOf(BACKSLASH, at + 1)) {
    const next = bytes.subarray(at + 1, at + 10).toString('latin1');
    if (/^(0|x00|u0000|U00000000)/.test(next) || /^(u[dD][89a-fA-F]|U0000[dD][89a-fA-F])/.test(next)) return true;
  }
  return false;
}

const startsLikeJson = (bytes: Buffer): boolean => /^\uFEFF?\s*[[{]/.test(bytes.subarray(0, 64).toString('utf8'));

/** The JSON text's first NUL or unpaired surrogate; null when it has none (or is too deep to say). */
async function inspectJson(bytes: Buffer, maxDepth: number): Promise<Finding | null | 'not_json'> {
  const scanner = new JsonScanner(maxDepth + 1);
  try {
    for (let at = 0; at < bytes.length; at += SLICE_BYTES) {
      if (at > 0) await nextTurn();
      scanner.write(bytes.subarray(at, at + SLICE_BYTES));
    }
    scanner.end();
    return null;
  } catch (error) {
    if (!(error instanceof JsonScanError)) throw error;
    if (error.problem === 'nul' || error.problem === 'surrogate') return { path: error.path, problem: error.problem };
    // Too deep: the parsing stage refuses it with spec_too_deep. Not JSON: it may be YAML in flow style.
    return error.problem === 'syntax' ? 'not_json' : null;
  }
}

// Parses the YAML (as the parsing stage would, with its alias limit) and walks the value for the first key or
// string holding a NUL or an unpaired surrogate. Any failure answers null: the parsing stage reports it.
const YAML_WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const YAML = require(workerData.yamlPath);
const BAD = new RegExp(workerData.unstorable);
const finding = (text, path) => (BAD.test(text) ? { path, problem: text.includes('\\u0000') ? 'nul' : 'surrogate' } : null);
function find(root) {
  const stack = [[root, []]];
  while (stack.length) {
    const [value, path] = stack.pop();
    if (typeof value === 'string') { const f = finding(value, path); if (f) return f; continue; }
    if (value === null || typeof value !== 'object') continue;
    const entries = Object.entries(value);
    for (const [key] of entries) { const f = finding(key, path); if (f) return f; }
    for (let i = entries.length - 1; i >= 0; i--) stack.push([entries[i][1], path.concat(Array.isArray(value) ? Number(entries[i][0]) : entries[i][0])]);
  }
  return null;
}
let answer = null;
try {
  const text = Buffer.from(workerData.bytes.buffer, workerData.bytes.byteOffset, workerData.bytes.byteLength).toString('utf8');
  const doc = YAML.parseDocument(text, { merge: true, uniqueKeys: false });
  if (doc.errors.length === 0) answer = find(doc.toJS({ maxAliasCount: workerData.maxAliases }));
} catch {}
parentPort.postMessage(answer);
`;

let yamlQueue: Promise<unknown> = Promise.resolve();

/** The YAML's first NUL or unpaired surrogate, found in a worker thread (one at a time per process); null when none. */
function inspectYaml(bytes: Buffer): Promise<Finding | null> {
  const run = (): Promise<Finding | null> =>
    new Promise((resolve) => {
      const worker = new Worker(YAML_WORKER_SOURCE, {
        eval: true,
        workerData: { bytes: new Uint8Array(bytes), yamlPath: require.resolve('yaml'), maxAliases: 100, unstorable: UNSTORABLE_TEXT.source },
        resourceLimits: { maxOldGenerationSizeMb: YAML_WORKER_HEAP_MB },
      });
      const timer = setTimeout(() => void worker.terminate(), YAML_INSPECTION_TIMEOUT_MS);
      const done = (finding: Finding | null) => {
        clearTimeout(timer);
        resolve(finding);
        void worker.terminate();
      };
      worker.once('message', (finding: Finding | null) => done(finding));
      worker.once('error', () => done(null));
      worker.once('exit', () => done(null));
    });
  const result = yamlQueue.then(run, run);
  yamlQueue = result.catch(() => undefined);
  return result;
}

/**
 * Refuses spec text (YAML or JSON, sent as a string or a file) whose escapes produce a NUL or an unpaired
 * surrogate, with `400 invalid_spec` naming the JSON pointer: no database text can hold them, and the task
 * would otherwise fail in the parsing stage, after retries. Only text that has such an escape is parsed.
 */
export async function assertStorableSpecText(bytes: Buffer, maxDepth: number): Promise<void> {
  if (!hasUnstorableEscape(bytes)) return;
  let finding = startsLikeJson(bytes) ? await inspectJson(bytes, maxDepth) : 'not_json';
  if (finding === 'not_json') finding = await inspectYaml(bytes);
  if (finding === null) return;
  const pointer = toJsonPointer(finding.path);
  const what = finding.problem === 'nul' ? 'has a NUL character (U+0000)' : 'has an unpaired UTF-16 surrogate';
  throw new AppError('invalid_spec', `the spec ${what} at ${pointer || 'its root'}, which text in a spec cannot hold`, 400, [{ pointer, message: what }]);
}
