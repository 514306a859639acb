import { AppError } from '@spectest/contracts';
import { Worker } from 'node:worker_threads';
import { invalidSpec } from './spec-errors';

export type ValidationMode = 'validate' | 'dereference';

/**
 * Runs swagger-parser in a worker thread. Two reasons: it requires an ESM-only json-schema-ref-parser,
 * which Node (>= 20.19) loads with require() but jest's module registry cannot (before Node 24.9); and a
 * large or hostile document validates off the caller's event loop, so progress keeps flowing meanwhile.
 * The options make swagger-parser unable to reach outside the document: the external-ref guard runs
 * first, this is the second lock on the same door.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require('node:worker_threads');
const SwaggerParser = require(workerData.parserPath);
const options = {
  resolve: { external: false, file: false, http: false },
  dereference: { circular: true },
};
function simplify(detail) {
  if (detail === null || typeof detail !== 'object') return { message: String(detail) };
  let params;
  try { params = detail.params && JSON.stringify(detail.params).length < 2000 ? JSON.parse(JSON.stringify(detail.params)) : undefined; } catch { params = undefined; }
  return {
    path: typeof detail.instancePath === 'string' ? detail.instancePath || '/' : undefined,
    message: typeof detail.message === 'string' ? detail.message : undefined,
    keyword: typeof detail.keyword === 'string' ? detail.keyword : undefined,
    params,
  };
}
(async () => {
  try {
    const parser = new SwaggerParser();
    const api = workerData.mode === 'validate'
      ? await parser.validate(workerData.document, options)
      : await parser.dereference(workerData.document, options);
    parentPort.postMessage({ ok: true, api });
  } catch (error) {
    const details = Array.isArray(error && error.details) ? error.details.slice(0, 50).map(simplify) : [];
    parentPort.postMessage({ ok: false, message: String((error && error.message) || error), details });
  }
})();
`;

type WorkerAnswer = { ok: true; api: Record<string, unknown> } | { ok: false; message: string; details: unknown[] };

/** Validates (mode 'validate') or only dereferences; returns the dereferenced graph, which may contain cycles. */
export function runSwaggerParser(document: Record<string, unknown>, mode: ValidationMode): Promise<Record<string, unknown>> {
  const parserPath = require.resolve('@apidevtools/swagger-parser');
  return new Promise((resolve, reject) => {
    const worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { document, mode, parserPath }, stderr: true });
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      fn();
      void worker.terminate();
    };
    worker.once('message', (answer: WorkerAnswer) =>
      finish(() => (answer.ok ? resolve(answer.api) : reject(invalidSpec(describeFailure(answer.message), answer.details)))),
    );
    worker.once('error', (error) => finish(() => reject(toAppError(error))));
    worker.once('exit', (code) =>
      finish(() => reject(new AppError('internal', `The spec validator stopped unexpectedly (exit code ${code})`, 500))),
    );
  });
}

export const validateAndDereference = (doc: Record<string, unknown>) => runSwaggerParser(doc, 'validate');
/** For our own Swagger 2.0 conversion output, whose source was validated already. */
export const dereferenceOnly = (doc: Record<string, unknown>) => runSwaggerParser(doc, 'dereference');

function toAppError(error: Error): AppError {
  if (error instanceof RangeError || /stack size|heap/i.test(error.message)) {
    return new AppError('spec_too_deep', `The spec is too deeply nested to dereference: ${error.message}`, 400);
  }
  return new AppError('internal', `The spec validator failed: ${error.message}`, 500);
}

/** swagger-parser puts one problem per line; the first few are what a person needs to act. */
function describeFailure(message: string): string {
  const lines = message
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '');
  const text = lines.slice(0, 4).join(' ');
  return `The spec is not a valid OpenAPI document: ${text.length > 800 ? text.slice(0, 800) + '…' : text}`;
}
