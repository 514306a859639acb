import { MigrationInterface, QueryRunner } from 'typeorm';

export class InitialSchema1732550400000 implements MigrationInterface {
  name = 'InitialSchema1732550400000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE specs (
        id uuid PRIMARY KEY,
        tenant text NOT NULL,
        sha256 text NOT NULL,
        bytes int NOT NULL,
        content bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE tasks (
        id uuid PRIMARY KEY,
        tenant text NOT NULL,
        name text NOT NULL,
        status text NOT NULL,
        stage text,
        progress real NOT NULL DEFAULT 0,
        message text NOT NULL DEFAULT '',
        message_key text NOT NULL,
        message_params jsonb NOT NULL DEFAULT '{}',
        seq int NOT NULL DEFAULT 0,
        created_at timestamptz NOT NULL,
        started_at timestamptz,
        finished_at timestamptz,
        deadline_at timestamptz NOT NULL,
        endpoint_count int,
        current_endpoint int,
        stages jsonb NOT NULL,
        tokens jsonb NOT NULL,
        eta_ms bigint,
        elapsed_ms bigint NOT NULL DEFAULT 0,
        result jsonb,
        error jsonb,
        warnings jsonb NOT NULL DEFAULT '[]',
        options jsonb NOT NULL DEFAULT '{}',
        spec_id uuid NOT NULL REFERENCES specs(id),
        idempotency_key text,
        request_hash text
      )`);
    await q.query(`CREATE INDEX tasks_tenant_created ON tasks (tenant, created_at DESC, id DESC)`);
    await q.query(`CREATE INDEX tasks_active_deadline ON tasks (deadline_at) WHERE status IN ('queued', 'running')`);
    await q.query(
      `CREATE UNIQUE INDEX tasks_tenant_idempotency ON tasks (tenant, idempotency_key) WHERE idempotency_key IS NOT NULL`,
    );
    await q.query(`
      CREATE TABLE task_events (
        task_id uuid NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
        seq int NOT NULL,
        type text NOT NULL,
        payload jsonb NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (task_id, seq)
      )`);
    await q.query(`
      CREATE TABLE task_documents (
        task_id uuid PRIMARY KEY REFERENCES tasks(id) ON DELETE CASCADE,
        title text NOT NULL,
        version text NOT NULL,
        openapi_version text NOT NULL,
        document jsonb NOT NULL,
        endpoints jsonb NOT NULL,
        warnings jsonb NOT NULL DEFAULT '[]',
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
    await q.query(`
      CREATE TABLE task_cases (
        task_id uuid NOT NULL REFERENCES tasks(id) ON DELETE CASCADE,
        case_id text NOT NULL,
        position int NOT NULL,
        source text NOT NULL,
        endpoint text NOT NULL,
        body jsonb NOT NULL,
        PRIMARY KEY (task_id, case_id)
      )`);
    await q.query(`CREATE INDEX task_cases_order ON task_cases (task_id, position)`);
    await q.query(`
      CREATE TABLE artifacts (
        task_id uuid PRIMARY KEY REFERENCES tasks(id) ON DELETE CASCADE,
        bytes int NOT NULL,
        sha256 text NOT NULL,
        content bytea NOT NULL,
        created_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    for (const t of ['artifacts', 'task_cases', 'task_documents', 'task_events', 'tasks', 'specs']) {
      await q.query(`DROP TABLE IF EXISTS ${t}`);
    }
  }
}
