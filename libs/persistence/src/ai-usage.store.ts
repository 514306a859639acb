import { DataSource, EntityManager } from 'typeorm';

/** What earlier enhancing stages measured for one provider and model (moving averages, recent runs weigh more). */
export interface ModelHistoryRow {
  runs: number;
  calls: number;
  msPerCall: number;
  completionPerCall: number;
  /** Mean absolute error of the stage's ETA at 25/50/75%, averaged over runs that measured it. */
  etaMeanAbsErrorMs: number | null;
}

/** One finished enhancing stage, as it adds to the history. */
export interface ModelRunSample {
  calls: number;
  msPerCall: number;
  completionPerCall: number;
  etaMeanAbsErrorMs: number | null;
}

/** Weight of the newest run in the moving averages: a model server gets faster or slower over time. */
const NEWEST_RUN_WEIGHT = 0.3;

/**
 * The enhancing stage's memory across tasks: per-model timings for the ETA, per-tenant token usage for the budget.
 * Usage is a running total per tenant (no period); an operator resets it by deleting the row.
 */
export class AiUsageStore {
  constructor(private readonly ds: DataSource) {}

  async modelHistory(provider: string, model: string): Promise<ModelHistoryRow | null> {
    const rows = (await this.ds.query(
      `SELECT runs, calls, ms_per_call, completion_per_call, eta_mean_abs_error_ms FROM ai_model_history WHERE provider = $1 AND model = $2`,
      [provider, model],
    )) as { runs: number; calls: string; ms_per_call: number; completion_per_call: number; eta_mean_abs_error_ms: number | null }[];
    const r = rows[0];
    if (!r) return null;
    return {
      runs: r.runs,
      calls: Number(r.calls),
      msPerCall: r.ms_per_call,
      completionPerCall: r.completion_per_call,
      etaMeanAbsErrorMs: r.eta_mean_abs_error_ms,
    };
  }

  /** Folds one stage's measurements into the history; a stage in which no call answered teaches nothing and is skipped. */
  async recordModelRun(provider: string, model: string, s: ModelRunSample): Promise<void> {
    if (s.calls <= 0) return;
    const w = NEWEST_RUN_WEIGHT;
    await this.ds.query(
      `INSERT INTO ai_model_history (provider, model, runs, calls, ms_per_call, completion_per_call, eta_mean_abs_error_ms)
       VALUES ($1, $2, 1, $3, $4, $5, $6)
       ON CONFLICT (provider, model) DO UPDATE SET
         runs = ai_model_history.runs + 1,
         calls = ai_model_history.calls + EXCLUDED.calls,
         ms_per_call = ai_model_history.ms_per_call * ${1 - w} + EXCLUDED.ms_per_call * ${w},
         completion_per_call = ai_model_history.completion_per_call * ${1 - w} + EXCLUDED.completion_per_call * ${w},
         eta_mean_abs_error_ms = CASE
           WHEN EXCLUDED.eta_mean_abs_error_ms IS NULL THEN ai_model_history.eta_mean_abs_error_ms
           WHEN ai_model_history.eta_mean_abs_error_ms IS NULL THEN EXCLUDED.eta_mean_abs_error_ms
           ELSE ai_model_history.eta_mean_abs_error_ms * ${1 - w} + EXCLUDED.eta_mean_abs_error_ms * ${w} END,
         updated_at = now()`,
      [provider, model, s.calls, s.msPerCall, s.completionPerCall, s.etaMeanAbsErrorMs],
    );
  }

  async tokensUsed(tenant: string): Promise<number> {
    const rows = (await this.ds.query(`SELECT tokens FROM tenant_token_usage WHERE tenant = $1`, [tenant])) as { tokens: string }[];
    return rows[0] ? Number(rows[0].tokens) : 0;
  }

  /** Adds to the tenant's total atomically (concurrent tasks of one tenant add without losing updates). */
  async addTokens(tenant: string, tokens: number, manager: EntityManager = this.ds.manager): Promise<void> {
    if (!(tokens > 0)) return;
    await manager.query(
      `INSERT INTO tenant_token_usage (tenant, tokens) VALUES ($1, $2)
       ON CONFLICT (tenant) DO UPDATE SET tokens = tenant_token_usage.tokens + EXCLUDED.tokens, updated_at = now()`,
      [tenant, Math.round(tokens)],
    );
  }
}
