import { Column, Entity, PrimaryColumn } from 'typeorm';

/** The normalized, dereferenced OpenAPI document of a task and the endpoints listed from it. */
@Entity({ name: 'task_documents' })
export class TaskDocumentEntity {
  @PrimaryColumn('uuid', { name: 'task_id' }) taskId!: string;
  @Column('text') title!: string;
  @Column('text') version!: string;
  @Column('text', { name: 'openapi_version' }) openapiVersion!: string;
  @Column('jsonb') document!: Record<string, unknown>;
  @Column('jsonb') endpoints!: unknown[];
  @Column('jsonb') warnings!: string[];
  @Column('timestamptz', { name: 'created_at' }) createdAt!: Date;
}
