import { AppError } from '@spectest/contracts';
import type { Readable } from 'node:stream';
import { BodyBytes } from './body-bytes';
import { decodeJsonStringInSlices } from './json-string.decoder';
import { JsonScanError, JsonScanner, toJsonPointer } from './json.scanner';
import type { Upload } from './upload-limiter';

/** A JSON submission split into its spec, as bytes, and the other fields. */
export interface JsonSubmission {
  /** The members besides `spec`; null when the body is not an object. */
  fields: Record<string, unknown> | null;
  /** `spec` as UTF-8 bytes: the string's text, or the object's JSON as it was sent. Null when absent or of another type. */
  spec: Buffer | null;
  specKind: 'string' | 'object' | 'absent' | 'other';
}

export interface JsonSubmissionLimits {
  /** Containers the body may nest: the spec's limit (SPEC_MAX_DEPTH) plus the body and the spec object themselves. */
  maxDepth: number;
  /** Bytes of all members besides `spec` together (`name`, `options`). */
  maxFieldsBytes: number;
}

/**
 * Reads the JSON body of POST /v1/tasks as it arrives: each chunk is checked by the scanner at once (so
 * a body that is not JSON, too deep, or holds a NUL is refused at that byte, not after 100 MiB), and kept
 * once. Then the spec is taken from it: an object as the bytes that were sent (a view, no copy), a string
 * decoded straight into bytes; the other fields, small, are parsed on their own.
 */
export async function readJsonSubmission(body: Readable, declaredLength: number | null, limits: JsonSubmissionLimits, upload?: Upload): Promise<JsonSubmission> {
  const bytes = new BodyBytes(declaredLength);
  const scanner = new JsonScanner(limits.maxDepth);
  try {
    for await (const chunk of body as AsyncIterable<Buffer>) {
      upload?.ensure(bytes.length + chunk.length);
      bytes.append(chunk);
      scanner.write(chunk);
    }
    scanner.end();
  } catch (error) {
    body.destroy();
    throw error instanceof JsonScanError ? asBodyError(error) : error;
  }
  if (!scanner.isObject) return { fields: null, spec: null, specKind: 'absent' };

  const members = scanner.members;
  const spec = members.filter((m) => m.key === 'spec').pop();
  const others = members.filter((m) => m.key !== 'spec');
  const fieldsBytes = others.reduce((n, m) => n + (m.end - m.start), 0);
  if (fieldsBytes > limits.maxFieldsBytes) {
    throw new AppError('payload_too_large', `the fields besides spec take ${fieldsBytes} bytes; the limit is ${limits.maxFieldsBytes}`, 413);
  }
  // fromEntries defines own properties: a member named __proto__ stays a member.
  const fields = Object.fromEntries(others.map((m) => [m.key, JSON.parse(bytes.range(m.start, m.end).toString('utf8'))]));
  if (!spec) return { fields, spec: null, specKind: 'absent' };
  const first = bytes.range(spec.start, spec.start + 1)[0];
  if (first === 0x22) return { fields, spec: await decodeJsonStringInSlices(bytes.range(spec.start + 1, spec.end - 1)), specKind: 'string' };
  if (first === 0x7b) return { fields, spec: bytes.range(spec.start, spec.end), specKind: 'object' };
  return { fields, spec: null, specKind: 'other' };
}

/** What is wrong with the body, as the API says it: inside the spec it is the spec's fault, named by its own pointer. */
function asBodyError(error: JsonScanError): AppError {
  if (error.problem === 'syntax') return new AppError('invalid_request', `the body is not valid JSON: ${error.message}`);
  const inSpec = error.path[0] === 'spec';
  const pointer = toJsonPointer(inSpec ? error.path.slice(1) : error.path);
  const what = error.problem === 'too_deep' ? 'nests too deep' : error.problem === 'nul' ? 'has a NUL character (U+0000)' : 'has an unpaired UTF-16 surrogate';
  const details = [{ pointer, message: what }];
  if (!inSpec) return new AppError('invalid_request', `the body ${what} at ${pointer}${error.problem === 'too_deep' ? '' : ', which text cannot hold'}`, 400, details);
  if (error.problem === 'too_deep') return new AppError('spec_too_deep', `the spec ${what} at ${pointer || 'its root'} (SPEC_MAX_DEPTH)`, 400, details);
  return new AppError('invalid_spec', `the spec ${what} at ${pointer || 'its root'}, which text in a spec cannot hold`, 400, details);
}
