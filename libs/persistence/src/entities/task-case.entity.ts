import { Column, Entity, PrimaryColumn } from 'typeorm';

/** One generated case of a task; `position` keeps the generation order for deterministic artifacts. */
@Entity({ name: 'task_cases' })
export class TaskCaseEntity {
  @PrimaryColumn('uuid', { name: 'task_id' }) taskId!: string;
  @PrimaryColumn('text', { name: 'case_id' }) caseId!: string;
  @Column('int') position!: number;
  @Column('text') source!: string;
  @Column('text') endpoint!: string;
  @Column('jsonb') body!: Record<string, unknown>;
}
