import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The per-task event log: the source of truth for replay. (task_id, seq) is the primary key. */
@Entity({ name: 'task_events' })
export class TaskEventEntity {
  @PrimaryColumn('uuid', { name: 'task_id' }) taskId!: string;
  @PrimaryColumn('int') seq!: number;
  @Column('text') type!: string;
  @Column('jsonb') payload!: Record<string, unknown>;
  @Column('timestamptz', { name: 'created_at' }) createdAt!: Date;
}
