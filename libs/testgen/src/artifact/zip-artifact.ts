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
 * Entries are deflated one after another, each from a Buffer made only when its turn comes, so beside
 * the file texts only one file's bytes are in flight (yazl's addBuffer would deflate every file at once
 * and hold all raw and compressed copies). `onProgress` is called as each file is written.
 */
export function zipArtifact(files: ArtifactFile[], onProgress?: (progress: ZipProgress) => void): Promise<Buffer> {
  const zip = new ZipFile();
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const progress: ZipProgress = { filesWritten: 0, totalFiles: sorted.length, bytes: 0 };
  for (const file of sorted) {
    const options = { mtime: FIXED_MTIME, mode: 0o100644, compress: true, forceDosTimestamp: true };
    zip.addReadStreamLazy(file.path, options, (callback) => {
      const stream = Readable.from([Buffer.from(file.content, 'utf8')], { objectMode: false });
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
