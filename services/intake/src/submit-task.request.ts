import { AppError, TaskOptions, TaskOptionsSchema } from '@spectest/contracts';
import { z } from 'zod';
import { JsonSubmission, readJsonSubmission } from './json-body.reader';

const JsonBodySchema = z.object({
  spec: z.union([z.string(), z.record(z.string(), z.unknown())]),
  name: z.string().min(1).max(200).optional(),
  options: TaskOptionsSchema.optional(),
});
const JsonFieldsSchema = JsonBodySchema.omit({ spec: true });

export interface SubmitRequest {
  spec: Buffer;
  name: string;
  options: TaskOptions;
}

interface UploadedSpec {
  buffer: Buffer;
  originalname?: string;
}

const zodDetails = (e: z.ZodError) => e.issues.map((i) => ({ path: i.path.join('.'), message: i.message }));

/**
 * The two shapes of POST /v1/tasks, reduced to one: JSON `{spec, name?, options?}` (as raw bytes, see
 * readJsonSubmission), or multipart with a file field `spec` (plus optional text fields `name` and `options`
 * as JSON, which the web page sends).
 */
export async function readSubmitRequest(body: unknown, file: UploadedSpec | undefined, maxBytes: number): Promise<SubmitRequest> {
  if (file) {
    const fields = (body ?? {}) as Record<string, unknown>;
    let options: unknown = {};
    if (typeof fields.options === 'string' && fields.options.trim()) {
      try {
        options = JSON.parse(fields.options);
      } catch {
        throw new AppError('invalid_request', 'the `options` field is not valid JSON');
      }
    }
    const parsedOptions = TaskOptionsSchema.safeParse(options);
    if (!parsedOptions.success) throw new AppError('invalid_request', 'invalid options', 400, zodDetails(parsedOptions.error));
    const name = typeof fields.name === 'string' && fields.name.trim() ? fields.name.trim().slice(0, 200) : baseName(file.originalname);
    return { spec: checkSpecBytes(file.buffer, maxBytes), name, options: parsedOptions.data };
  }
  if (Buffer.isBuffer(body)) return fromJsonSubmission(await readJsonSubmission(body), maxBytes);
  if (!body || typeof body !== 'object' || Object.keys(body).length === 0) throw noSpec();
  const parsed = JsonBodySchema.safeParse(body);
  if (!parsed.success) throw new AppError('invalid_request', 'invalid request body', 400, zodDetails(parsed.error));
  const { spec, name, options } = parsed.data;
  const bytes = typeof spec === 'string' ? Buffer.from(spec, 'utf8') : Buffer.from(JSON.stringify(spec), 'utf8');
  return { spec: checkSpecBytes(bytes, maxBytes), name: name ?? 'task', options: options ?? {} };
}

function fromJsonSubmission(submission: JsonSubmission, maxBytes: number): SubmitRequest {
  const { fields, spec, specKind } = submission;
  if (fields === null || typeof fields !== 'object' || Array.isArray(fields) || (specKind === 'absent' && Object.keys(fields).length === 0)) throw noSpec();
  if (!spec) {
    const message = specKind === 'absent' ? 'Required' : 'expected a string (YAML or JSON text) or an object';
    throw new AppError('invalid_request', 'invalid request body', 400, [{ path: 'spec', message }]);
  }
  const parsed = JsonFieldsSchema.safeParse(fields);
  if (!parsed.success) throw new AppError('invalid_request', 'invalid request body', 400, zodDetails(parsed.error));
  return { spec: checkSpecBytes(spec, maxBytes), name: parsed.data.name ?? 'task', options: parsed.data.options ?? {} };
}

const noSpec = () => new AppError('invalid_request', 'send JSON {"spec": ...} or multipart/form-data with a file field `spec`');

function baseName(filename?: string): string {
  const base = (filename ?? '').replace(/\.(ya?ml|json)$/i, '').trim();
  return base ? base.slice(0, 200) : 'task';
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
