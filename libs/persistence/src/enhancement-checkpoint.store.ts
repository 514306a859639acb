import type { EndpointCheckpoint, TestCase } from '@spectest/contracts';
import { DataSource } from 'typeorm';
import { AiUsageStore } from './ai-usage.store';
import type { Lease } from './dispatch.store';

interface CheckpointRow {
  endpoint_index: number;
  endpoint: string;
  cases: TestCase[];
  warning: string | null;
  answered: boolean;
  prompt_tokens: number;
  completion_tokens: number;
  duration_ms: number;
}

const toCheckpoint = (r: CheckpointRow): EndpointCheckpoint => ({
  index: r.endpoint_index,
  endpoint: r.endpoint,
  cases: r.cases,
  warning: r.warning,
  answered: r.answered,
  promptTokens: r.prompt_tokens,
  completionTokens: r.completion_tokens,
  durationMs: r.duration_ms,
});

/**
 * The enhancing stage's per-endpoint checkpoint. An endpoint's result and the tenant's charge for its
 * tokens are one transaction, so a stage that dies and resumes redoes only the endpoints in flight, and
 * the tenant is charged exactly the tokens the task's stored results used.
 */
export class EnhancementCheckpointStore {
  private readonly usage: AiUsageStore;

  constructor(private readonly ds: DataSource) {
    this.usage = new AiUsageStore(ds);
  }

  async load(taskId: string): Promise<EndpointCheckpoint[]> {
    const rows = (await this.ds.query(
      `SELECT endpoint_index, endpoint, cases, warning, answered, prompt_tokens, completion_tokens, duration_ms
       FROM task_ai_endpoints WHERE task_id = $1 ORDER BY endpoint_index`,
      [taskId],
    )) as CheckpointRow[];
    return rows.map(toCheckpoint);
  }

  /**
   * Stores the endpoint's result and charges `tenant` its tokens, if the lease is still this run's and the
   * endpoint has no result yet. Returns the result that is stored: this one, or the one stored before
   * (whose tokens were charged then); null when the lease was lost (nothing stored, nothing charged).
   */
  async save(lease: Lease, tenant: string, checkpoint: EndpointCheckpoint): Promise<EndpointCheckpoint | null> {
    return this.ds.transaction(async (m) => {
      // FOR SHARE waits for a lease change in progress and keeps the lease from changing until commit.
      const held = (await m.query(`SELECT 1 FROM tasks WHERE id = $1 AND lease_owner = $2 AND dispatch_generation = $3 FOR SHARE`, [
        lease.taskId,
        lease.owner,
        lease.generation,
      ])) as unknown[];
      if (held.length === 0) return null;
      const inserted = (await m.query(
        `INSERT INTO task_ai_endpoints (task_id, endpoint_index, endpoint, cases, warning, answered, prompt_tokens, completion_tokens, duration_ms)
         VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7, $8, $9) ON CONFLICT (task_id, endpoint_index) DO NOTHING RETURNING endpoint_index`,
        [
          lease.taskId,
          checkpoint.index,
          checkpoint.endpoint,
          JSON.stringify(checkpoint.cases),
          checkpoint.warning,
          checkpoint.answered,
          Math.round(checkpoint.promptTokens),
          Math.round(checkpoint.completionTokens),
          Math.round(checkpoint.durationMs),
        ],
      )) as unknown[];
      if (inserted.length === 0) {
        const [earlier] = (await m.query(
          `SELECT endpoint_index, endpoint, cases, warning, answered, prompt_tokens, completion_tokens, duration_ms
           FROM task_ai_endpoints WHERE task_id = $1 AND endpoint_index = $2`,
          [lease.taskId, checkpoint.index],
        )) as CheckpointRow[];
        return toCheckpoint(earlier);
      }
      await this.usage.addTokens(tenant, Math.round(checkpoint.promptTokens) + Math.round(checkpoint.completionTokens), m);
      return checkpoint;
    });
  }
}
