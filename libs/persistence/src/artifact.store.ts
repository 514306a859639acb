import { createHash } from 'node:crypto';
import { DataSource } from 'typeorm';
import { ArtifactEntity } from './entities/artifact.entity';

export interface StoredArtifact {
  bytes: number;
  sha256: string;
}

/** Where ZIPs live. Postgres today; an object store can implement the same three calls. */
export interface ArtifactStore {
  put(taskId: string, content: Buffer): Promise<StoredArtifact>;
  head(taskId: string): Promise<StoredArtifact | null>;
  get(taskId: string): Promise<(StoredArtifact & { content: Buffer }) | null>;
}

export class PostgresArtifactStore implements ArtifactStore {
  constructor(private readonly ds: DataSource) {}

  async put(taskId: string, content: Buffer): Promise<StoredArtifact> {
    const sha256 = createHash('sha256').update(content).digest('hex');
    // Idempotent: a redelivered packaging message overwrites the same bytes.
    await this.ds
      .getRepository(ArtifactEntity)
      .upsert({ taskId, bytes: content.length, sha256, content, createdAt: new Date() }, ['taskId']);
    return { bytes: content.length, sha256 };
  }

  async head(taskId: string): Promise<StoredArtifact | null> {
    const row = await this.ds
      .getRepository(ArtifactEntity)
      .findOne({ where: { taskId }, select: { taskId: true, bytes: true, sha256: true } });
    return row ? { bytes: row.bytes, sha256: row.sha256 } : null;
  }

  async get(taskId: string): Promise<(StoredArtifact & { content: Buffer }) | null> {
    const row = await this.ds.getRepository(ArtifactEntity).findOne({ where: { taskId } });
    return row ? { bytes: row.bytes, sha256: row.sha256, content: row.content } : null;
  }
}
