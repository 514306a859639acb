import { Column, Entity, Index, PrimaryColumn } from 'typeorm';

/** One generation job and its snapshot columns, updated only by the progress writer (plus creation). */
@Entity({ name: 'tasks' })
@Index('tasks_tenant_created', ['tenant', 'createdAt', 'id'])
export class TaskEntity {
  @PrimaryColumn('uuid') id!: string;
  @Column('text') tenant!: string;
  @Column('text') name!: string;
  @Column('text') status!: string;
  @Column('text', { nullable: true }) stage!: string | null;
  @Column('real') progress!: number;
  @Column('text') message!: string;
  @Column('text', { name: 'message_key' }) messageKey!: string;
  @Column('jsonb', { name: 'message_params' }) messageParams!: Record<string, string | number>;
  @Column('int') seq!: number;
  @Column('timestamptz', { name: 'created_at' }) createdAt!: Date;
  @Column('timestamptz', { name: 'started_at', nullable: true }) startedAt!: Date | null;
  @Column('timestamptz', { name: 'finished_at', nullable: true }) finishedAt!: Date | null;
  @Column('timestamptz', { name: 'deadline_at' }) deadlineAt!: Date;
  @Column('int', { name: 'endpoint_count', nullable: true }) endpointCount!: number | null;
  @Column('int', { name: 'current_endpoint', nullable: true }) currentEndpoint!: number | null;
  @Column('jsonb') stages!: unknown[];
  @Column('jsonb') tokens!: Record<string, number>;
  @Column('bigint', { name: 'eta_ms', nullable: true }) etaMs!: string | null;
  @Column('bigint', { name: 'elapsed_ms' }) elapsedMs!: string;
  @Column('jsonb', { nullable: true }) result!: unknown | null;
  @Column('jsonb', { nullable: true }) error!: unknown | null;
  @Column('jsonb') warnings!: string[];
  @Column('jsonb') options!: Record<string, unknown>;
  @Column('uuid', { name: 'spec_id' }) specId!: string;
  @Column('text', { name: 'idempotency_key', nullable: true }) idempotencyKey!: string | null;
  @Column('text', { name: 'request_hash', nullable: true }) requestHash!: string | null;
  // The dispatch and its lease (DispatchStore); never part of the snapshot.
  @Column('int', { name: 'dispatch_generation', default: 1 }) dispatchGeneration!: number;
  @Column('text', { name: 'dispatch_stage', default: 'parse' }) dispatchStage!: string;
  @Column('timestamptz', { name: 'dispatch_recorded_at', default: () => 'now()' }) dispatchRecordedAt!: Date;
  @Column('timestamptz', { name: 'dispatch_published_at', nullable: true }) dispatchPublishedAt!: Date | null;
  @Column('uuid', { name: 'lease_owner', nullable: true }) leaseOwner!: string | null;
  @Column('timestamptz', { name: 'lease_expires_at', nullable: true }) leaseExpiresAt!: Date | null;
}
