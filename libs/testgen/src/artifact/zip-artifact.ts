import { Readable } from 'node:stream';
import { ZipFile } from 'yazl';
import { ArtifactFile } from './artifact.types';

// Built from local fields so the DOS timestamp is the same in every time zone; the UTC extra field is off.
const FIXED_MTIME = new Date(2000, 0, 1, 0, 0, 0);

export interface ZipProgress {
  /** Entries fully written to the ZIP so far. */
  filesWritten: number;
  totalFiles: number;
  /** ZIP bytes produced so far. */
  bytes: number;
}

/**
 * Zips the files in path order with a fixed timestamp and mode: the same files give byte-identical ZIPs.
 * Entries are deflated one after another, each encoded in 1 MiB slices only when its turn comes, so
 * beside the file texts about one slice is in flight (yazl's addBuffer would deflate every file at once
 * and hold all raw and compressed copies; one Buffer of a 60 MB openapi.json was itself 60 MB more).
 * `onProgress` is called as each file is written.
 */
export function zipArtifact(files: ArtifactFile[], onProgress?: (progress: ZipProgress) => void): Promise<Buffer> {
  const zip = new ZipFile();
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const progress: ZipProgress = { filesWritten: 0, totalFiles: sorted.length, bytes: 0 };
  for (const file of sorted) {
    const options = { mtime: FIXED_MTIME, mode: 0o100644, compress: true, forceDosTimestamp: true };
    zip.addReadStreamLazy(file.path, options, (callback) => {
      const stream = Readable.from(utf8Chunks(file.content), { objectMode: false });
      stream.on('end', () => {
        progress.filesWritten++;
        onProgress?.({ ...progress });
      });
      callback(null, stream);
    });
  }
  zip.end();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    zip.outputStream.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      progress.bytes += chunk.length;
    });
    zip.outputStream.on('error', reject);
    zip.outputStream.on('end', () => {
      onProgress?.({ ...progress });
      resolve(Buffer.concat(chunks, progress.bytes));
    });
  });
}

const SLICE_CHARS = 1 << 20;

/** UTF-8 bytes of `text`, a slice at a time; slices end before a lone high surrogate so no pair is split. */
function* utf8Chunks(text: string): Generator<Buffer> {
  for (let start = 0; start < text.length; ) {
    let end = Math.min(start + SLICE_CHARS, text.length);
    const last = text.charCodeAt(end - 1);
    if (end < text.length && last >= 0xd800 && last <= 0xdbff) end--;
    yield Buffer.from(text.slice(start, end), 'utf8');
    start = end;
  }
}
