import { AppError } from '@spectest/contracts';
import { dirname, join } from 'node:path';
// The validator runs in a worker thread (see below): the one place this package starts one.
// eslint-disable-next-line no-restricted-imports
import { Worker } from 'node:worker_threads';
import { invalidSpec } from './spec-errors';

/**
 * 'validate': swagger-parser's whole validation (schema, then its own Swagger 2.0 checks, which need the
 * document dereferenced); 'schema': only the OpenAPI JSON Schema, on the bundled document with its `$ref`s
 * (reference objects are valid there), about ten times faster on a large spec and nothing dereferenced.
 */
export type ValidationMode = 'validate' | 'schema';

/**
 * Runs swagger-parser in a worker thread (spec-validator.worker.js). Two reasons: it requires an ESM-only
 * json-schema-ref-parser, which Node (>= 20.19) loads with require() but jest's module registry cannot
 * (before Node 24.9); and a large or hostile document validates off the caller's event loop, so progress
 * keeps flowing meanwhile. The worker's options make swagger-parser unable to reach outside the document:
 * the external-ref guard runs first, this is the second lock on the same door.
 */
// A plain JavaScript file beside this one (src/ in tests, dist/ when built), run by Node as it is.
const WORKER_FILE = join(__dirname, 'spec-validator.worker.js');

type WorkerAnswer = { id: number; ok: true } | { id: number; ok: false; message: string; details: unknown[] };
type Pending = { resolve: () => void; reject: (error: Error) => void; timer: NodeJS.Timeout };

/** A document that keeps the validator busy this long is treated as hostile; the worker is replaced. */
const VALIDATION_TIMEOUT_MS = 120_000;

/**
 * One long-lived worker, started on first use: loading swagger-parser and its JSON schemas costs
 * far more than validating a typical spec. It is unref'd while idle so it never keeps a process alive,
 * and replaced if it dies, failing only the jobs it held.
 */
class SwaggerParserWorker {
  private worker: Worker | null = null;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private stopping: Promise<void> = Promise.resolve();

  run(document: Record<string, unknown>, mode: ValidationMode): Promise<void> {
    const worker = this.worker ?? this.start();
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(
        () => this.failAll(worker, new AppError('timeout', `Validating the spec took longer than ${VALIDATION_TIMEOUT_MS / 1000} s`, 400)),
        VALIDATION_TIMEOUT_MS,
      ).unref();
      this.pending.set(id, { resolve, reject, timer });
      worker.ref();
      worker.postMessage({ id, document, mode });
    });
  }

  private start(): Worker {
    const parserPath = require.resolve('@apidevtools/swagger-parser');
    // swagger-parser's own schema validator (the package has no exports map; this file is its validate step).
    const schemaValidatorPath = join(dirname(parserPath), 'validators', 'schema.js');
    const worker = new Worker(WORKER_FILE, { workerData: { parserPath, schemaValidatorPath } });
    worker.on('message', (answer: WorkerAnswer) => {
      const job = this.pending.get(answer.id);
      if (!job) return;
      this.pending.delete(answer.id);
      clearTimeout(job.timer);
      if (this.pending.size === 0) worker.unref();
      if (answer.ok) job.resolve();
      else job.reject(invalidSpec(describeFailure(answer.message), answer.details));
    });
    worker.on('error', (error) => this.failAll(worker, toAppError(error)));
    worker.on('exit', (code) =>
      this.failAll(worker, new AppError('internal', `The spec validator stopped unexpectedly (exit code ${code})`, 500)),
    );
    worker.unref();
    this.worker = worker;
    return worker;
  }

  /** Ends the worker (graceful shutdown, end of a test file); the next job starts a new one. */
  async stop(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    this.failAll(worker, new AppError('internal', 'The spec validator was stopped', 503));
    await this.stopping;
  }

  private failAll(worker: Worker, error: AppError): void {
    if (this.worker !== worker) return;
    this.worker = null;
    this.stopping = worker.terminate().then(() => undefined);
    const jobs = [...this.pending.values()];
    this.pending.clear();
    for (const job of jobs) {
      clearTimeout(job.timer);
      job.reject(error);
    }
  }
}

const sharedWorker = new SwaggerParserWorker();

/** Validates the document in the worker thread; rejects with `invalid_spec` and the validator's details. */
export function runSwaggerParser(document: Record<string, unknown>, mode: ValidationMode): Promise<void> {
  return sharedWorker.run(document, mode);
}

/** Stops the validator worker thread, failing any validation in flight. Call on shutdown; safe to call twice. */
export function stopSpecValidator(): Promise<void> {
  return sharedWorker.stop();
}

/** Swagger 2.0 as the user wrote it: schema and swagger-parser's semantic checks. */
export const validateWithSwaggerParser = (doc: Record<string, unknown>) => runSwaggerParser(doc, 'validate');
/** OpenAPI 3.x, bundled: the OpenAPI JSON Schema only (swagger-parser has no other check for 3.x). */
export const validateBundled = (doc: Record<string, unknown>) => runSwaggerParser(doc, 'schema');

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
