import { ZipFile } from 'yazl';
import { ArtifactFile } from './artifact.types';

// Built from local fields so the DOS timestamp is the same in every time zone; the UTC extra field is off.
const FIXED_MTIME = new Date(2000, 0, 1, 0, 0, 0);

/** Zips the files in path order with a fixed timestamp and mode: the same files give byte-identical ZIPs. */
export function zipArtifact(files: ArtifactFile[]): Promise<Buffer> {
  const zip = new ZipFile();
  const sorted = [...files].sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  for (const file of sorted) {
    zip.addBuffer(Buffer.from(file.content, 'utf8'), file.path, {
      mtime: FIXED_MTIME,
      mode: 0o100644,
      compress: true,
      forceDosTimestamp: true,
    });
  }
  zip.end();
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    zip.outputStream.on('data', (chunk: Buffer) => chunks.push(chunk));
    zip.outputStream.on('error', reject);
    zip.outputStream.on('end', () => resolve(Buffer.concat(chunks)));
  });
}
