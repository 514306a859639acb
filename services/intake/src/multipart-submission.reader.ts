import { AppError } from '@spectest/contracts';
import busboy from 'busboy';
import type { IncomingHttpHeaders } from 'node:http';
import type { Readable } from 'node:stream';
import { BodyBytes } from './body-bytes';
import { tooLarge } from './request-body.stream';
import type { Upload } from './upload-limiter';

/** A multipart submission: the `spec` file and the text fields (`name`, `options`). */
export interface MultipartSubmission {
  file: { bytes: Buffer; filename: string } | null;
  fields: Record<string, string>;
}

export interface MultipartLimits {
  maxSpecBytes: number;
  /** Bytes of one text field. */
  maxFieldBytes: number;
}

const badForm = (message: string): AppError => new AppError('invalid_request', message);

/**
 * Reads a multipart/form-data body as it streams: the `spec` file is kept up to its limit and no further
 * (413 as soon as it passes it), in one buffer no larger than the body; text fields are capped.
 */
export function readMultipartSubmission(headers: IncomingHttpHeaders, body: Readable, declaredLength: number | null, limits: MultipartLimits, upload?: Upload): Promise<MultipartSubmission> {
  return new Promise((resolve, reject) => {
    let form: busboy.Busboy;
    try {
      form = busboy({
        headers,
        limits: { files: 1, fields: 10, parts: 20, fileSize: limits.maxSpecBytes, fieldSize: limits.maxFieldBytes, fieldNameSize: 100 },
      });
    } catch (error) {
      return reject(badForm(`the multipart body cannot be read: ${(error as Error).message}`));
    }
    const fields: Record<string, string> = Object.create(null);
    let file: MultipartSubmission['file'] = null;
    let failed = false;
    const fail = (error: AppError | Error) => {
      if (failed) return;
      failed = true;
      body.unpipe(form);
      body.destroy();
      reject(error);
    };

    form.on('file', (name, stream, info) => {
      if (name !== 'spec') {
        stream.resume();
        return fail(badForm(`the file field must be named \`spec\`, not ${JSON.stringify(name)}`));
      }
      const bytes = new BodyBytes(declaredLength === null ? null : Math.min(declaredLength, limits.maxSpecBytes));
      stream.on('data', (chunk: Buffer) => {
        try {
          upload?.ensure(bytes.length + chunk.length);
          bytes.append(chunk);
        } catch (error) {
          fail(error as Error);
        }
      });
      stream.once('limit', () => fail(tooLarge(`the spec file is over ${limits.maxSpecBytes} bytes`)));
      stream.once('end', () => {
        if (!failed) file = { bytes: bytes.all(), filename: info.filename ?? '' };
      });
    });
    form.on('field', (name, value, info) => {
      if (info.valueTruncated) return fail(tooLarge(`the field ${JSON.stringify(name)} is over ${limits.maxFieldBytes} bytes`));
      fields[name] = value;
    });
    form.once('filesLimit', () => fail(badForm('send one file, in the field `spec`')));
    form.once('fieldsLimit', () => fail(badForm('too many fields')));
    form.once('partsLimit', () => fail(badForm('too many parts')));
    form.once('error', (error: Error) => fail(badForm(`the multipart body cannot be read: ${error.message}`)));
    form.once('close', () => {
      if (!failed) resolve({ file, fields: { ...fields } });
    });
    body.once('error', fail);
    body.pipe(form);
  });
}
