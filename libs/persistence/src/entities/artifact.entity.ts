import { Column, Entity, PrimaryColumn } from 'typeorm';

/** ZIP bytes kept in Postgres for now, behind ArtifactStore so an object store can replace it. */
@Entity({ name: 'artifacts' })
export class ArtifactEntity {
  @PrimaryColumn('uuid', { name: 'task_id' }) taskId!: string;
  @Column('int') bytes!: number;
  @Column('text') sha256!: string;
  @Column('bytea') content!: Buffer;
  @Column('timestamptz', { name: 'created_at' }) createdAt!: Date;
}
