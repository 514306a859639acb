import { AppError, TaskOptions, TaskOptionsSchema, hasUnstorableText } from '@spectest/contracts';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { z } from 'zod';
import { JsonScanError, JsonScanner, toJsonPointer } from './json.scanner';
import { JsonSubmission, readJsonSubmission } from './json-submission.reader';
import { readMultipartSubmission } from './multipart-submission.reader';
import { BodyLimits, declaredLength, guardedBody, isEncoded } from './request-body.stream';
import { assertStorableSpecText } from './spec-text.inspector';
import type { Upload } from './upload-limiter';

const JsonFieldsSchema = z.object({
  name: z.string().min(1).max(200).optional(),
  options: TaskOptionsSchema.optional(),
});

export interface SubmitRequest {
  spec: Buffer;
  name: string;
  options: TaskOptions;
}

export interface SubmitLimits {
  body: BodyLimits;
  maxSpecBytes: number;
  /** SPEC_MAX_DEPTH: nesting of a spec object, counted from the spec (as the parsing stage counts). */
  specMaxDepth: number;
}

/** Bytes of `name` and `options` together in a JSON body, or of one text field of a form. */
const MAX_FIELDS_BYTES = 1024 * 1024;

export type SubmissionKind = 'json' | 'multipart';

/** The media type of a request's body, lower case, without parameters ('' when there is none). */
export const mediaType = (req: IncomingMessage): string => (req.headers['content-type'] ?? '').split(';')[0].trim().toLowerCase();

/** What the body of a submission is, from its headers alone (415 for anything else, 400 for no body at all). */
export function submissionKind(req: IncomingMessage): SubmissionKind {
  const type = mediaType(req);
  if (type === 'application/json') return 'json';
  if (type === 'multipart/form-data') return 'multipart';
  if (type === '' && (req.headers['content-length'] === undefined || req.headers['content-length'] === '0') && !req.headers['transfer-encoding']) throw noSpec();
  throw new AppError('unsupported_media_type', `a submission is application/json or multipart/form-data, not ${JSON.stringify(type || 'untyped')}`, 415);
}

const zodDetails = (e: z.ZodError) => e.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));
const noSpec = () => new AppError('invalid_request', 'send JSON {"spec": ...} or multipart/form-data with a file field `spec`');

/**
 * The two shapes of POST /v1/tasks, read from the request and reduced to one: JSON `{spec, name?, options?}`,
 * or multipart with a file field `spec` (plus optional text fields `name` and `options` as JSON, which the web
 * page sends). Called once the caller is authenticated and admitted; `upload` accounts for the bytes held.
 */
export async function readSubmitRequest(req: IncomingMessage, res: ServerResponse, kind: SubmissionKind, limits: SubmitLimits, upload?: Upload): Promise<SubmitRequest> {
  const body = guardedBody(req, res, limits.body);
  // An identity body is as long as it says; a compressed one says nothing of its decoded size.
  const declared = isEncoded(req) ? null : declaredLength(req);
  if (kind === 'json') {
    const submission = await readJsonSubmission(body, declared, { maxDepth: limits.specMaxDepth + 2, maxFieldsBytes: MAX_FIELDS_BYTES }, upload);
    const request = fromJsonSubmission(submission, limits.maxSpecBytes);
    if (submission.specKind === 'string') await assertStorableSpecText(request.spec, limits.specMaxDepth);
    return request;
  }
  const { file, fields } = await readMultipartSubmission(req.headers, body, declared, { maxSpecBytes: limits.maxSpecBytes, maxFieldBytes: MAX_FIELDS_BYTES }, upload);
  if (!file) throw noSpec();
  const options = typeof fields.options === 'string' && fields.options.trim() ? parseOptionsField(fields.options, limits.specMaxDepth) : {};
  const parsedOptions = TaskOptionsSchema.safeParse(options);
  if (!parsedOptions.success) throw new AppError('invalid_request', 'invalid options', 400, zodDetails(parsedOptions.error));
  if (typeof fields.name === 'string' && hasUnstorableText(fields.name)) throw unstorableField('/name');
  const name = typeof fields.name === 'string' && fields.name.trim() ? clip(fields.name.trim()) : baseName(file.filename);
  const spec = checkSpecBytes(file.bytes, limits.maxSpecBytes);
  await assertStorableSpecText(spec, limits.specMaxDepth);
  return { spec, name, options: parsedOptions.data };
}

function fromJsonSubmission(submission: JsonSubmission, maxBytes: number): SubmitRequest {
  const { fields, spec, specKind } = submission;
  if (fields === null || (specKind === 'absent' && Object.keys(fields).length === 0)) throw noSpec();
  if (!spec) {
    const message = specKind === 'absent' ? 'Required' : 'expected a string (YAML or JSON text) or an object';
    throw new AppError('invalid_request', 'invalid request body', 400, [{ path: 'spec', message }]);
  }
  const parsed = JsonFieldsSchema.safeParse(fields);
  if (!parsed.success) throw new AppError('invalid_request', 'invalid request body', 400, zodDetails(parsed.error));
  return { spec: checkSpecBytes(spec, maxBytes), name: parsed.data.name ?? 'task', options: parsed.data.options ?? {} };
}

const unstorableField = (pointer: string) =>
  new AppError('invalid_request', `the body has a NUL character or an unpaired UTF-16 surrogate at ${pointer}, which text cannot hold`, 400, [{ pointer, message: 'unstorable text' }]);

/** The `options` text field of a form: JSON, checked by the same scanner as a JSON body. */
function parseOptionsField(text: string, maxDepth: number): unknown {
  const scanner = new JsonScanner(maxDepth);
  try {
    scanner.write(Buffer.from(text, 'utf8'));
    scanner.end();
  } catch (error) {
    if (!(error instanceof JsonScanError)) throw error;
    if (error.problem === 'syntax') throw new AppError('invalid_request', 'the `options` field is not valid JSON');
    if (error.problem === 'too_deep') throw new AppError('invalid_request', 'the `options` field nests too deep');
    throw unstorableField(toJsonPointer(['options', ...error.path]));
  }
  return JSON.parse(text);
}

/** At most 200 characters, cut between code points (never inside a surrogate pair). */
const clip = (name: string): string => name.slice(0, 200).replace(/[\uD800-\uDBFF]$/, '');

/** The task's name from the file's, unless it is empty or holds text no database can store (a form may encode a NUL). */
function baseName(filename?: string): string {
  const base = clip((filename ?? '').replace(/\.(ya?ml|json)$/i, '').trim());
  return base && !hasUnstorableText(base) ? base : 'task';
}

/** Cheap checks before storing: the deep ones (YAML/JSON, OpenAPI) belong to the parsing stage. */
function checkSpecBytes(bytes: Buffer, maxBytes: number): Buffer {
  if (bytes.length > maxBytes) throw new AppError('payload_too_large', `the spec is ${bytes.length} bytes; the limit is ${maxBytes}`, 413);
  if (isBlank(bytes)) throw new AppError('invalid_spec', 'the spec is empty');
  if (bytes.includes(0)) throw new AppError('invalid_spec', 'the spec is binary, not JSON or YAML text');
  return bytes;
}

const BLANK_WINDOW_BYTES = 64 * 1024;

/**
 * Whitespace only, decoded a window at a time: a spec's first window is rarely blank, and decoding a whole
 * 50 MiB spec just to look at its start held the event loop for some 50 ms.
 */
export function isBlank(bytes: Buffer): boolean {
  for (let at = 0; at < bytes.length; at += BLANK_WINDOW_BYTES) {
    if (bytes.toString('utf8', at, at + BLANK_WINDOW_BYTES).trim() !== '') return false;
  }
  return true;
}
