import { AppError } from '@spectest/contracts';
import { Worker } from 'node:worker_threads';

/** A JSON submission split into its spec, as bytes, and the other fields. */
export interface JsonSubmission {
  /** The body without `spec`; not an object when the body is not one. */
  fields: unknown;
  /** `spec` as UTF-8 bytes: the string itself, or an object's JSON. Null when absent or of another type. */
  spec: Buffer | null;
  specKind: 'string' | 'object' | 'absent' | 'other';
}

/** Bodies above this are parsed in a worker thread: JSON.parse of a 49 MB body held the event loop some 70-85 ms. */
export const JSON_BODY_WORKER_BYTES = 1024 * 1024;

/**
 * Parse workers that may run at once in a process; more big bodies wait their turn. Each holds its body, the
 * parsed object and the spec's bytes (a few hundred MB for a body at the 50 MiB limit), so many big
 * submissions arriving together must not add up without bound.
 */
export const JSON_BODY_MAX_WORKERS = 2;

let workersInUse = 0;
const waitingForWorker: (() => void)[] = [];

/** How many parse workers run now (for tests and metrics). */
export function jsonBodyWorkersInUse(): number {
  return workersInUse;
}

async function withWorkerSlot<T>(work: () => Promise<T>): Promise<T> {
  if (workersInUse >= JSON_BODY_MAX_WORKERS) await new Promise<void>((resolve) => waitingForWorker.push(resolve));
  else workersInUse++;
  try {
    return await work();
  } finally {
    // The slot passes straight to the next waiter, if any; otherwise it is freed.
    const next = waitingForWorker.shift();
    if (next) next();
    else workersInUse--;
  }
}

type Answer = { ok: true; fields: unknown; spec: Uint8Array | null; specKind: JsonSubmission['specKind'] } | { ok: false; message: string };

// The same steps as splitSubmission below, in plain JavaScript for the worker.
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const bytes = workerData.bytes;
function answer() {
  let body;
  try {
    body = JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8'));
  } catch (error) {
    return { ok: false, message: error.message };
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body) || !('spec' in body)) return { ok: true, fields: body, spec: null, specKind: 'absent' };
  const { spec, ...fields } = body;
  const text = typeof spec === 'string' ? spec : spec !== null && typeof spec === 'object' && !Array.isArray(spec) ? JSON.stringify(spec) : null;
  if (text === null) return { ok: true, fields, spec: null, specKind: 'other' };
  return { ok: true, fields, spec: new TextEncoder().encode(text), specKind: typeof spec === 'string' ? 'string' : 'object' };
}
const result = answer();
parentPort.postMessage(result, result.ok && result.spec ? [result.spec.buffer] : []);
`;

/**
 * Reads the JSON body of POST /v1/tasks, given as raw bytes: a big one in a worker thread, so neither the
 * parse nor the copy of the spec into bytes holds the event loop every service shares in the embedded app.
 */
export async function readJsonSubmission(bytes: Buffer, workerThreshold = JSON_BODY_WORKER_BYTES): Promise<JsonSubmission> {
  const answer = bytes.length > workerThreshold ? await withWorkerSlot(() => inWorker(bytes)) : splitSubmission(bytes);
  if (!answer.ok) throw new AppError('invalid_request', `the body is not valid JSON: ${answer.message}`);
  const spec = answer.spec ? Buffer.from(answer.spec.buffer, answer.spec.byteOffset, answer.spec.byteLength) : null;
  return { fields: answer.fields, spec, specKind: answer.specKind };
}

function splitSubmission(bytes: Buffer): Answer {
  let body: unknown;
  try {
    body = JSON.parse(bytes.toString('utf8'));
  } catch (error) {
    return { ok: false, message: (error as Error).message };
  }
  if (body === null || typeof body !== 'object' || Array.isArray(body) || !('spec' in body)) return { ok: true, fields: body, spec: null, specKind: 'absent' };
  const { spec, ...fields } = body as { spec: unknown };
  if (typeof spec === 'string') return { ok: true, fields, spec: Buffer.from(spec, 'utf8'), specKind: 'string' };
  if (spec !== null && typeof spec === 'object' && !Array.isArray(spec)) return { ok: true, fields, spec: Buffer.from(JSON.stringify(spec), 'utf8'), specKind: 'object' };
  return { ok: true, fields, spec: null, specKind: 'other' };
}

function inWorker(bytes: Buffer): Promise<Answer> {
  // Hand the bytes over without a copy when they own their memory (raw-body's concatenation of a big body does).
  const own = bytes.byteOffset === 0 && bytes.byteLength === bytes.buffer.byteLength;
  const data = own ? new Uint8Array(bytes.buffer) : new Uint8Array(bytes);
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { bytes: data }, transferList: [data.buffer as ArrayBuffer] });
    worker.once('message', (answer: Answer) => {
      resolve(answer);
      void worker.terminate();
    });
    worker.once('error', reject);
    worker.once('exit', (code) => reject(new Error(`the JSON body worker exited with code ${code}`)));
  });
}
