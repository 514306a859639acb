import { Readable, Transform } from 'node:stream';
import { ZipFile } from 'yazl';
import { ArtifactEntry, ArtifactFile } from './artifact.types';

// Built from local fields so the DOS timestamp is the same in every time zone; the UTC extra field is off.
const FIXED_MTIME = new Date(2000, 0, 1, 0, 0, 0);
const ENTRY_OPTIONS = { mtime: FIXED_MTIME, mode: 0o100644, compress: true, forceDosTimestamp: true };

export interface ZipProgress {
  /** Entries fully written to the ZIP so far. */
  filesWritten: number;
  totalFiles: number;
  /** ZIP bytes produced so far. */
  bytes: number;
}

/**
 * The ZIP of `entries` as a stream: entries in path order, fixed timestamp and mode, so the same entries
 * give byte-identical ZIPs. An entry's text is produced only when its turn comes (entries are zipped one
 * after another), encoded in slices of at most 1 MiB and deflated as it goes, then let go: beside what the
 * caller holds, about one file's text and a few slices are in memory. The stream's consumer sets the pace
 * (backpressure reaches the producers of the texts). `onProgress` is called as each file is written and
 * once at the end with the final byte count. An entry whose content throws ends the stream with that error.
 */
export function zipArtifactStream(entries: readonly (ArtifactEntry | ArtifactFile)[], onProgress?: (progress: ZipProgress) => void): Readable {
  const zip = new ZipFile();
  const sorted = [...entries].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const progress: ZipProgress = { filesWritten: 0, totalFiles: sorted.length, bytes: 0 };
  const output = new Transform({
    transform(chunk: Buffer, _encoding, callback) {
      progress.bytes += chunk.length;
      callback(null, chunk);
    },
    flush(callback) {
      onProgress?.({ ...progress });
      callback();
    },
  });
  const fail = (error: unknown) => output.destroy(error instanceof Error ? error : new Error(String(error)));
  zip.on('error', fail);
  for (const entry of sorted) {
    zip.addReadStreamLazy(entry.path, ENTRY_OPTIONS, (callback) => {
      let pieces: string | Iterable<string>;
      try {
        pieces = typeof entry.content === 'function' ? entry.content() : entry.content;
      } catch (error) {
        fail(error);
        return;
      }
      const stream = Readable.from(utf8Chunks(typeof pieces === 'string' ? [pieces] : pieces), { objectMode: false });
      stream.on('error', fail);
      stream.on('end', () => {
        progress.filesWritten++;
        onProgress?.({ ...progress });
      });
      callback(null, stream);
    });
  }
  zip.end();
  zip.outputStream.pipe(output);
  return output;
}

/** The whole ZIP in one Buffer (tests, small inputs). Same bytes as zipArtifactStream. */
export async function zipArtifact(entries: readonly (ArtifactEntry | ArtifactFile)[], onProgress?: (progress: ZipProgress) => void): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of zipArtifactStream(entries, onProgress)) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

const SLICE_CHARS = 1 << 20;
/** Small pieces (a test, a request item) are gathered to at least this many characters before encoding. */
const MIN_SLICE_CHARS = 64 << 10;

/**
 * UTF-8 bytes of the concatenated pieces, in slices of MIN_SLICE_CHARS to SLICE_CHARS characters (the last
 * may be shorter), so many small pieces do not make as many small writes. A high surrogate that ends a
 * slice waits for the next one, so a pair is never split: the bytes equal those of the whole text encoded at once.
 */
export function* utf8Chunks(pieces: Iterable<string>): Generator<Buffer> {
  let pending = '';
  for (const piece of pieces) {
    pending += piece;
    if (pending.length < MIN_SLICE_CHARS) continue;
    let start = 0;
    while (pending.length - start >= MIN_SLICE_CHARS) {
      let end = Math.min(start + SLICE_CHARS, pending.length);
      if (isHighSurrogate(pending.charCodeAt(end - 1))) end--;
      yield Buffer.from(pending.slice(start, end), 'utf8');
      start = end;
    }
    pending = pending.slice(start);
  }
  if (pending) yield Buffer.from(pending, 'utf8');
}

function isHighSurrogate(code: number): boolean {
  return code >= 0xd800 && code <= 0xdbff;
}
