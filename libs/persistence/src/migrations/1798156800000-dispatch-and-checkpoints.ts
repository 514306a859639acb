import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Which work message may act on a task, and who is acting on it now:
 * - `dispatch_generation` and `dispatch_stage`: the one dispatch that is current. A work message of an
 *   older generation, or for a stage the task has left, is stale and does nothing.
 * - `dispatch_recorded_at` / `dispatch_published_at`: the dispatch as an outbox row; one recorded but not
 *   published (a broker outage, a crash in between) is published by the intake's dispatcher.
 * - `lease_owner` / `lease_expires_at`: the delivery running the stage, renewed while it runs; another
 *   delivery of the same dispatch waits until it ends or goes silent, and a stage's writes are fenced on it.
 * And `task_ai_endpoints`: the enhancing stage's checkpoint, one row per endpoint done, written in the
 * same transaction as the tenant's token charge, so a resumed stage redoes only the endpoint in flight
 * and the tenant pays once.
 */
export class DispatchAndCheckpoints1798156800000 implements MigrationInterface {
  name = 'DispatchAndCheckpoints1798156800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      ALTER TABLE tasks
        ADD COLUMN dispatch_generation int NOT NULL DEFAULT 1,
        ADD COLUMN dispatch_stage text NOT NULL DEFAULT 'parse',
        ADD COLUMN dispatch_recorded_at timestamptz NOT NULL DEFAULT now(),
        ADD COLUMN dispatch_published_at timestamptz,
        ADD COLUMN lease_owner uuid,
        ADD COLUMN lease_expires_at timestamptz`);
    // Tasks of the earlier version: their work message was published; the dispatch follows their stages.
    await q.query(`
      UPDATE tasks SET dispatch_published_at = created_at, dispatch_stage = CASE
        WHEN EXISTS (SELECT 1 FROM jsonb_array_elements(stages) s WHERE s->>'name' = 'enhancing' AND s->>'status' IN ('done', 'skipped')) THEN 'package'
        WHEN EXISTS (SELECT 1 FROM jsonb_array_elements(stages) s WHERE s->>'name' = 'foundation' AND s->>'status' IN ('done', 'skipped')) THEN 'enhance'
        ELSE 'parse' END`);
    await q.query(
      `CREATE INDEX tasks_unpublished_dispatch ON tasks (dispatch_recorded_at) WHERE dispatch_published_at IS NULL AND status IN ('queued', 'running')`,
    );
    await q.query(`
      CREATE TABLE task_ai_endpoints (
        task_id uuid NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
        endpoint_index int NOT NULL,
        endpoint text NOT NULL,
        cases jsonb NOT NULL,
        warning text,
        answered boolean NOT NULL,
        prompt_tokens int NOT NULL,
        completion_tokens int NOT NULL,
        duration_ms int NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (task_id, endpoint_index)
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS task_ai_endpoints`);
    await q.query(`DROP INDEX IF EXISTS tasks_unpublished_dispatch`);
    await q.query(`
      ALTER TABLE tasks
        DROP COLUMN dispatch_generation, DROP COLUMN dispatch_stage, DROP COLUMN dispatch_recorded_at,
        DROP COLUMN dispatch_published_at, DROP COLUMN lease_owner, DROP COLUMN lease_expires_at`);
  }
}
