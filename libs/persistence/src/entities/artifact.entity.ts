import { Column, Entity, PrimaryColumn } from 'typeorm';

/**
 * A task's stored ZIP: its size and sha256, and `contentId`, the version of the bytes in artifact_chunks.
 * Written with its chunks in one transaction, so a reader sees a whole artifact or none.
 */
@Entity({ name: 'artifacts' })
export class ArtifactEntity {
  @PrimaryColumn('uuid', { name: 'task_id' }) taskId!: string;
  @Column('int') bytes!: number;
  @Column('text') sha256!: string;
  @Column('uuid', { name: 'content_id' }) contentId!: string;
  @Column('timestamptz', { name: 'created_at' }) createdAt!: Date;
}
