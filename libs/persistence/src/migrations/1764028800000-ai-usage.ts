import { MigrationInterface, QueryRunner } from 'typeorm';

/** Per-model history for the enhancing stage's ETA, and per-tenant token usage for the budget. */
export class AiUsage1764028800000 implements MigrationInterface {
  name = 'AiUsage1764028800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE ai_model_history (
        provider text NOT NULL,
        model text NOT NULL,
        runs int NOT NULL DEFAULT 1,
        calls bigint NOT NULL DEFAULT 0,
        ms_per_call double precision NOT NULL,
        completion_per_call double precision NOT NULL,
        eta_mean_abs_error_ms double precision,
        updated_at timestamptz NOT NULL DEFAULT now(),
        PRIMARY KEY (provider, model)
      )`);
    await q.query(`
      CREATE TABLE tenant_token_usage (
        tenant text PRIMARY KEY,
        tokens bigint NOT NULL DEFAULT 0,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`DROP TABLE IF EXISTS tenant_token_usage`);
    await q.query(`DROP TABLE IF EXISTS ai_model_history`);
  }
}
