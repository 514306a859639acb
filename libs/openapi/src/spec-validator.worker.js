// @ts-check
'use strict';
// The worker thread of spec-validator.ts: swagger-parser's validation, with resolution of anything outside
// the document switched off (the external-ref guard runs first; this is the second lock on the same door).
const { parentPort, workerData } = require('node:worker_threads');
const SwaggerParser = require(workerData.parserPath);
const validateSchema = require(workerData.schemaValidatorPath);

const options = {
  resolve: { external: false, file: false, http: false },
  dereference: { circular: true },
};

/**
 * A validator's detail as plain data: the message, where, which keyword (its params when small).
 * @param {unknown} detail
 */
function simplify(detail) {
  if (detail === null || typeof detail !== 'object') return { message: String(detail) };
  const d = /** @type {{ instancePath?: unknown, message?: unknown, keyword?: unknown, params?: unknown }} */ (detail);
  let params;
  try {
    params = d.params && JSON.stringify(d.params).length < 2000 ? JSON.parse(JSON.stringify(d.params)) : undefined;
  } catch {
    params = undefined;
  }
  return {
    path: typeof d.instancePath === 'string' ? d.instancePath || '/' : undefined,
    message: typeof d.message === 'string' ? d.message : undefined,
    keyword: typeof d.keyword === 'string' ? d.keyword : undefined,
    params,
  };
}

if (!parentPort) throw new Error('spec-validator.worker.js runs as a worker thread of spec-validator.ts');
const port = parentPort;

port.on('message', async (/** @type {{ id: number, document: object, mode: 'validate' | 'schema' }} */ { id, document, mode }) => {
  try {
    if (mode === 'validate') await new SwaggerParser().validate(document, options);
    else validateSchema(document);
    // Only the verdict goes back: posting a dereferenced graph would clone it into the caller's heap.
    port.postMessage({ id, ok: true });
  } catch (error) {
    const failure = /** @type {{ message?: unknown, details?: unknown }} */ (error);
    const details = Array.isArray(failure && failure.details) ? /** @type {unknown[]} */ (failure.details).slice(0, 50).map(simplify) : [];
    port.postMessage({ id, ok: false, message: String((failure && failure.message) || error), details });
  }
});
