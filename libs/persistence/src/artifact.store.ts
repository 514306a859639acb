import { createHash, randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { DataSource } from 'typeorm';

export interface StoredArtifact {
  bytes: number;
  sha256: string;
}

/** What `put` consumes: the ZIP's bytes in order, as they are produced (a Readable is an AsyncIterable). */
export type ArtifactSource = AsyncIterable<Uint8Array> | Iterable<Uint8Array>;

export interface OpenedArtifact extends StoredArtifact {
  /** The bytes, read from the store a few chunks at a time as the consumer asks for them. */
  content: Readable;
}

/** Where ZIPs live. Postgres today; an object store (multipart upload, ranged reads) can implement the same calls. */
export interface ArtifactStore {
  /**
   * Stores the task's artifact from `source`, chunk by chunk, hashing as it goes. The new bytes become
   * visible all at once when the last chunk is stored, replacing any earlier artifact of the task (a
   * redelivered packaging message); if `source` fails, nothing changes.
   */
  put(taskId: string, source: ArtifactSource): Promise<StoredArtifact>;
  head(taskId: string): Promise<StoredArtifact | null>;
  /** Size, hash and a stream of the bytes; the stream fails with ArtifactChangedError if the artifact is replaced while read. */
  open(taskId: string): Promise<OpenedArtifact | null>;
}

/** The artifact was replaced or deleted while its bytes were being read: the reader must not serve a mix. */
export class ArtifactChangedError extends Error {
  readonly code = 'artifact_changed';
  constructor(readonly taskId: string) {
    super(`the artifact of task ${taskId} changed while it was being read`);
    this.name = 'ArtifactChangedError';
  }
}

/** First key of the transaction-level advisory lock that serialises writers of one task's artifact. */
const ARTIFACT_LOCK_CLASS = 0x5a1f;

/** 1 MiB: one round trip per MiB on write and read, a few MiB in memory per upload or download. */
export const DEFAULT_ARTIFACT_CHUNK_BYTES = 1 << 20;

export interface PostgresArtifactStoreOptions {
  /** Size of the stored chunks (the last one may be shorter). Reading does not depend on it. */
  chunkBytes?: number;
  /** Chunks fetched per query when reading. */
  readBatch?: number;
}

/**
 * Artifacts in two tables: `artifacts` (size, sha256, the `content_id` of the current bytes) and
 * `artifact_chunks` (the bytes in order). `put` writes both in one transaction, so readers see the old
 * artifact or the new one, never a half-written one; each read query joins on `content_id`, so a reader
 * that outlives a replacement stops instead of mixing two versions. A download holds no connection
 * between its queries.
 */
export class PostgresArtifactStore implements ArtifactStore {
  private readonly chunkBytes: number;
  private readonly readBatch: number;

  constructor(
    private readonly ds: DataSource,
    options: PostgresArtifactStoreOptions = {},
  ) {
    this.chunkBytes = Math.max(1, Math.floor(options.chunkBytes ?? DEFAULT_ARTIFACT_CHUNK_BYTES));
    this.readBatch = Math.max(1, Math.floor(options.readBatch ?? 2));
  }

  async put(taskId: string, source: ArtifactSource): Promise<StoredArtifact> {
    const runner = this.ds.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction();
      // Two writers of one task (a redelivered message) take turns; readers keep seeing the committed version.
      // Not a lock on the task's rows: the event writer locks those (FOR UPDATE) for every progress event
      // of this very packaging, and an early insert into `artifacts` would hold a key-share lock on the
      // task row (its foreign key) for as long as the ZIP takes. So the chunks go first (their key to
      // `artifacts` is checked at commit) and the `artifacts` row last.
      await runner.query('SELECT pg_advisory_xact_lock($1, hashtext($2))', [ARTIFACT_LOCK_CLASS, taskId]);
      await runner.query('DELETE FROM artifact_chunks WHERE task_id = $1', [taskId]);
      const hash = createHash('sha256');
      let bytes = 0;
      let seq = 0;
      let pending: Buffer[] = [];
      let pendingBytes = 0;
      const insert = (data: Buffer) => runner.query('INSERT INTO artifact_chunks (task_id, seq, data) VALUES ($1, $2, $3)', [taskId, seq++, data]);
      for await (const piece of source) {
        const chunk = Buffer.isBuffer(piece) ? piece : Buffer.from(piece.buffer, piece.byteOffset, piece.byteLength);
        hash.update(chunk);
        bytes += chunk.length;
        pending.push(chunk);
        pendingBytes += chunk.length;
        while (pendingBytes >= this.chunkBytes) {
          const joined = pending.length === 1 ? pending[0] : Buffer.concat(pending, pendingBytes);
          await insert(joined.subarray(0, this.chunkBytes));
          const rest = joined.subarray(this.chunkBytes);
          pending = rest.length > 0 ? [rest] : [];
          pendingBytes = rest.length;
        }
      }
      if (pendingBytes > 0) await insert(Buffer.concat(pending, pendingBytes));
      const sha256 = hash.digest('hex');
      await runner.query(
        `INSERT INTO artifacts (task_id, bytes, sha256, content_id, created_at) VALUES ($1, $2, $3, $4, now())
         ON CONFLICT (task_id) DO UPDATE SET bytes = EXCLUDED.bytes, sha256 = EXCLUDED.sha256, content_id = EXCLUDED.content_id, created_at = EXCLUDED.created_at`,
        [taskId, bytes, sha256, randomUUID()],
      );
      await runner.commitTransaction();
      return { bytes, sha256 };
    } catch (err) {
      if (runner.isTransactionActive) await runner.rollbackTransaction().catch(() => undefined);
      throw err;
    } finally {
      await runner.release();
    }
  }

  async head(taskId: string): Promise<StoredArtifact | null> {
    const row = await this.current(taskId);
    return row ? { bytes: row.bytes, sha256: row.sha256 } : null;
  }

  async open(taskId: string): Promise<OpenedArtifact | null> {
    const row = await this.current(taskId);
    if (!row) return null;
    const content = Readable.from(this.chunks(taskId, row.content_id, row.bytes), { objectMode: false });
    return { bytes: row.bytes, sha256: row.sha256, content };
  }

  private async current(taskId: string): Promise<{ bytes: number; sha256: string; content_id: string } | null> {
    const rows: { bytes: number; sha256: string; content_id: string }[] = await this.ds.query(
      'SELECT bytes, sha256, content_id FROM artifacts WHERE task_id = $1',
      [taskId],
    );
    return rows[0] ?? null;
  }

  private async *chunks(taskId: string, contentId: string, bytes: number): AsyncGenerator<Buffer> {
    let seq = 0;
    let served = 0;
    while (served < bytes) {
      const rows: { seq: number; data: Buffer }[] = await this.ds.query(
        `SELECT c.seq, c.data FROM artifact_chunks c JOIN artifacts a ON a.task_id = c.task_id AND a.content_id = $2
         WHERE c.task_id = $1 AND c.seq >= $3 ORDER BY c.seq LIMIT $4`,
        [taskId, contentId, seq, this.readBatch],
      );
      if (rows.length === 0) throw new ArtifactChangedError(taskId);
      for (const row of rows) {
        if (row.seq !== seq) throw new ArtifactChangedError(taskId);
        seq++;
        served += row.data.length;
        yield row.data;
      }
    }
    if (served !== bytes) throw new ArtifactChangedError(taskId);
  }
}
