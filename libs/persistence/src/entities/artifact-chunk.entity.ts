import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One slice of an artifact's bytes, in order by `seq` from 0; the ZIP is their concatenation. */
@Entity({ name: 'artifact_chunks' })
export class ArtifactChunkEntity {
  @PrimaryColumn('uuid', { name: 'task_id' }) taskId!: string;
  @PrimaryColumn('int') seq!: number;
  @Column('bytea') data!: Buffer;
}
