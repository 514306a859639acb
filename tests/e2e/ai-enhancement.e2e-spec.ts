import { TaskEvent, TaskSnapshot } from '@spectest/contracts';
import { IntakeTestApp, fixture, startIntakeTestApp } from '../../services/intake/src/testing/intake-test-app';
import { Behaviour, FakeModelServer, startFakeModelServer } from '../support/fake-model-server';
import { brokenEventRules } from './full/event-rules';

/**
 * The enhancing stage through the whole pipeline (intake, parser, enhancer, packager in one process, real Postgres),
 * against the fake model server in each of its modes: the events, the final state, the stored cases and usage,
 * and no connection to the model left open.
 */
jest.setTimeout(60_000);

const BUDGET = 1_000_000;
let t: IntakeTestApp;
let model: FakeModelServer;
beforeAll(async () => {
  model = await startFakeModelServer({ tokensPerSecond: 4000 });
  t = await startIntakeTestApp({
    env: {
      OLLAMA_URL: model.url,
      OPENAI_BASE_URL: `${model.url}/v1`,
      OPENAI_API_KEY: 'sk-test',
      AI_CONCURRENCY: '2',
      AI_IDLE_TIMEOUT_MS: '800',
      TENANT_TOKEN_BUDGET: String(BUDGET),
      REAPER_INTERVAL_MS: '200',
      RATE_LIMIT_PER_MINUTE: '1000',
      MAX_ACTIVE_TASKS_PER_TENANT: '100',
    },
  });
});
afterAll(async () => {
  await t?.stop();
  await model?.close();
});
afterEach(async () => {
  // Every task of a test has ended by now; its model connections must be gone too.
  await eventually(() => model.openSockets() === 0, 'model sockets still open');
  model.requests.length = 0;
  model.setBehaviour({ kind: 'ok' });
});

let tenantNo = 0;
const freshTenant = () => `ai-e2e-${++tenantNo}-${Date.now()}`;
const chat = () => model.requests.filter((r) => r.path === '/api/chat' || r.path === '/v1/chat/completions');

async function eventually(ok: () => boolean | Promise<boolean>, what: string, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await ok())) {
    if (Date.now() > deadline) throw new Error(what);
    await new Promise((r) => setTimeout(r, 20));
  }
}

async function run(tenant: string, ai: Record<string, unknown>, extra: Record<string, unknown> = {}): Promise<{ taskId: string; snap: TaskSnapshot; events: TaskEvent[] }> {
  const res = await t.submit({ spec: fixture('petstore.yaml'), name: 'ai', options: { ai, ...extra } }, tenant);
  expect(res.status).toBe(202);
  const { taskId } = (await res.json()) as { taskId: string };
  const snap = await t.waitFor(taskId, tenant, undefined, 40_000);
  return { taskId, snap, events: await eventsOf(taskId) };
}

const eventsOf = async (taskId: string): Promise<TaskEvent[]> =>
  ((await t.dataSource.query('SELECT payload FROM task_events WHERE task_id = $1 ORDER BY seq', [taskId])) as { payload: TaskEvent }[]).map((r) => r.payload);
const aiCaseRows = async (taskId: string): Promise<number> =>
  Number(((await t.dataSource.query(`SELECT count(*) AS n FROM task_cases WHERE task_id = $1 AND source = 'ai'`, [taskId])) as { n: string }[])[0].n);
const usageOf = async (tenant: string): Promise<number> =>
  Number(((await t.dataSource.query('SELECT tokens FROM tenant_token_usage WHERE tenant = $1', [tenant])) as { tokens: string }[])[0]?.tokens ?? 0);
const keysOf = (events: TaskEvent[]) => events.map((e) => e.messageKey);
/**
 * The fake's only case for GET /pets (no parameters, no body) is the positive one, which repeats the foundation's
 * positive case: dropped as a repeat, so that endpoint falls back. Every other warning is unexpected.
 */
const REPEAT = 'AI enhancement failed for GET /pets: no valid case in the answer (case 1: repeats an existing case); kept the foundation cases';
const otherWarnings = (s: TaskSnapshot) => s.warnings.filter((w) => w !== REPEAT);

/** A completed task whose every endpoint fell back, with a warning matching `why`. */
async function expectAllFellBack(behaviour: Behaviour, why: RegExp) {
  model.setBehaviour(behaviour);
  const { taskId, snap, events } = await run(freshTenant(), { provider: 'ollama' });
  expect(brokenEventRules(events)).toEqual([]);
  expect(snap.status).toBe('completed');
  expect(snap.result).toMatchObject({ aiCaseCount: 0, caseCount: snap.result!.foundationCaseCount });
  expect(await aiCaseRows(taskId)).toBe(0);
  expect(snap.warnings).toHaveLength(snap.endpointCount!);
  for (const w of snap.warnings) expect(w).toMatch(why);
  expect(events.filter((e) => e.messageKey === 'enhancing.fallback')).toHaveLength(snap.endpointCount!);
  expect(keysOf(events)).toContain('enhancing.done');
  return { snap, events };
}

describe('the enhancing stage against the fake model server', () => {
  it('ok (Ollama): every sub-step per endpoint, exact cumulative tokens, tokens/s, an ETA, usage and model history stored', async () => {
    const tenant = freshTenant();
    const { taskId, snap, events } = await run(tenant, { provider: 'ollama', maxCasesPerEndpoint: 3 });
    expect(brokenEventRules(events)).toEqual([]);
    expect(snap.status).toBe('completed');
    expect(snap.warnings).toEqual([REPEAT]);
    for (const e of ['GET /pets', 'POST /pets', 'GET /pets/{petId}']) {
      const mine = events.filter((x) => x.stage === 'enhancing' && x.endpoint === e).map((x) => x.messageKey);
      expect(mine.filter((k, i) => !(k === 'enhancing.tokens' && mine[i - 1] === k))).toEqual([
        'enhancing.prompt',
        'enhancing.calling',
        'enhancing.tokens',
        'enhancing.parsing',
        e === 'GET /pets' ? 'enhancing.fallback' : 'enhancing.merged',
      ]);
    }
    const replies = chat().map((r) => r.reply!);
    const prompt = replies.reduce((n, r) => n + r.promptTokens, 0);
    const completion = replies.reduce((n, r) => n + r.completionTokens, 0);
    expect(snap.tokens).toMatchObject({ prompt, completion, total: prompt + completion });
    expect(events.some((e) => e.stage === 'enhancing' && e.tokens.perSecond > 0)).toBe(true);
    // Once a call has finished the stage gives its own ETA, and says at the end how good its early ones were.
    expect(events.filter((e) => e.messageKey === 'enhancing.merged' || e.messageKey === 'enhancing.fallback').every((e) => typeof e.etaMs === 'number')).toBe(true);
    const done = events.find((e) => e.messageKey === 'enhancing.done')!;
    expect(done.messageParams).toHaveProperty('etaMeanAbsErrorMs');
    expect(snap.result!.aiCaseCount).toBeGreaterThan(0);
    expect(await aiCaseRows(taskId)).toBe(snap.result!.aiCaseCount);
    expect(await usageOf(tenant)).toBe(prompt + completion);
    const [history] = (await t.dataSource.query(`SELECT runs, calls FROM ai_model_history WHERE provider = 'ollama' AND model = 'llama3.2'`)) as { runs: number; calls: string }[];
    expect(history.runs).toBeGreaterThanOrEqual(1);
    // The next task of the same model starts with an ETA from that history.
    const next = await run(freshTenant(), { provider: 'ollama' });
    expect(next.events.find((e) => e.messageKey === 'enhancing.started')!.etaMs).toBeGreaterThan(0);
  });

  it('ok (OpenAI SSE): AI cases and the usage chunk counters', async () => {
    const { snap } = await run(freshTenant(), { provider: 'openai', model: 'gpt-4o-mini' });
    expect(snap.status).toBe('completed');
    expect(snap.result!.aiCaseCount).toBeGreaterThan(0);
    const replies = chat().map((r) => r.reply!);
    expect(chat().every((r) => r.path === '/v1/chat/completions' && r.body.stream_options?.include_usage === true)).toBe(true);
    expect(snap.tokens.total).toBe(replies.reduce((n, r) => n + r.promptTokens + r.completionTokens, 0));
  });

  it('slow: live token counts grow per endpoint, coalesced; the last count of each call is exact', async () => {
    // Slow enough that a call spans several 250 ms report intervals even when the writer is slow under load.
    model.setBehaviour({ kind: 'slow', tokensPerSecond: 50 });
    const { snap, events } = await run(freshTenant(), { provider: 'ollama', maxCasesPerEndpoint: 2 });
    expect(snap.status).toBe('completed');
    for (const r of chat()) {
      const label = r.operation!;
      const counts = events.filter((e) => e.stage === 'enhancing' && e.endpoint === label && e.messageKey === 'enhancing.tokens').map((e) => Number(e.messageParams.completion));
      expect(counts.length).toBeGreaterThan(1);
      expect(counts).toEqual([...counts].sort((a, b) => a - b));
      expect(counts.at(-1)).toBe(r.reply!.completionTokens);
      // Coalesced: far fewer events than tokens.
      expect(counts.length).toBeLessThan(r.reply!.completionTokens / 4);
    }
  });

  it('invalid_json: every endpoint keeps its foundation cases, the warning says the answer held no valid case', async () => {
    await expectAllFellBack({ kind: 'invalid_json' }, /no valid case in the answer/);
  });

  it('unknown_operation: cases for an operation that does not exist are dropped, with the reason', async () => {
    await expectAllFellBack({ kind: 'unknown_operation' }, /no valid case in the answer \(case 1: (method DELETE is not|path \/does-not-exist)/);
  });

  it('stall: the idle timeout ends each call and closes its connection', async () => {
    await expectAllFellBack({ kind: 'stall', afterTokens: 3 }, /stalled for 800 ms/);
    expect(chat().every((r) => r.closedByClient && r.socketClosed)).toBe(true);
  });

  it('drop: a connection closed mid-stream is a broken stream, counted tokens kept', async () => {
    const { snap } = await expectAllFellBack({ kind: 'drop', afterTokens: 4 }, /the model stream (broke|ended before)/);
    expect(snap.tokens.completion).toBe(4 * snap.endpointCount!);
  });

  it('rate_limit: a 429 is retried after Retry-After and the task gets its AI cases', async () => {
    model.setBehaviour({ kind: 'rate_limit', times: 1, retryAfterSeconds: 0 });
    const { snap } = await run(freshTenant(), { provider: 'ollama' });
    expect(otherWarnings(snap)).toEqual([]);
    expect(snap.result!.aiCaseCount).toBeGreaterThan(0);
    expect(chat().filter((r) => r.status === 429)).toHaveLength(1);
  });

  it('server_error: a 500 is retried with backoff, then the endpoint falls back', async () => {
    await expectAllFellBack({ kind: 'server_error', status: 500 }, /model server answered 500/);
    expect(chat().filter((r) => r.status === 500)).toHaveLength(3 * 3);
  });
});

describe('cancel, timeout and budget', () => {
  it('cancel aborts the streams in flight: the fake sees its sockets closed, the task ends cancelled with no AI case stored', async () => {
    model.setBehaviour({ kind: 'slow', tokensPerSecond: 20 });
    const tenant = freshTenant();
    const res = await t.submit({ spec: fixture('petstore.yaml'), options: { ai: { provider: 'ollama' } } }, tenant);
    const { taskId } = (await res.json()) as { taskId: string };
    await t.waitFor(taskId, tenant, (s) => s.messageKey === 'enhancing.tokens');
    const streaming = chat().filter((r) => r.status === 200);
    expect(streaming.length).toBeGreaterThan(0);
    expect((await t.call(`/v1/tasks/${taskId}/cancel`, { method: 'POST', tenant })).status).toBe(202);
    const snap = await t.waitFor(taskId, tenant);
    expect(snap.status).toBe('cancelled');
    await eventually(() => streaming.every((r) => r.closedByClient && r.socketClosed), 'the fake did not see the streams closed');
    const events = await eventsOf(taskId);
    expect(brokenEventRules(events)).toEqual([]);
    expect(events.at(-1)!.type).toBe('cancelled');
    expect(await aiCaseRows(taskId)).toBe(0);
  });

  it('timeoutSeconds: the task fails with `timeout`, the streams are aborted and nothing of the stage is stored', async () => {
    model.setBehaviour({ kind: 'slow', tokensPerSecond: 20 });
    const tenant = freshTenant();
    const { taskId, snap, events } = await run(tenant, { provider: 'ollama' }, { timeoutSeconds: 2 });
    expect(snap.status).toBe('failed');
    expect(snap.error).toMatchObject({ code: 'timeout' });
    expect(brokenEventRules(events)).toEqual([]);
    await eventually(() => chat().every((r) => r.socketClosed), 'a model stream outlived the timeout');
    expect(chat().filter((r) => r.status === 200).every((r) => r.closedByClient)).toBe(true);
    expect(await aiCaseRows(taskId)).toBe(0);
  });

  it('402 insufficient_tokens at submit once the tenant has spent its budget; a task without AI is still accepted', async () => {
    const tenant = freshTenant();
    await t.dataSource.query('INSERT INTO tenant_token_usage (tenant, tokens) VALUES ($1, $2)', [tenant, BUDGET]);
    const refused = await t.submit({ spec: fixture('petstore.yaml'), options: { ai: { provider: 'ollama' } } }, tenant);
    expect(refused.status).toBe(402);
    expect(await refused.json()).toMatchObject({ status: 402, code: 'insufficient_tokens' });
    const plain = await t.submit({ spec: fixture('petstore.yaml') }, tenant);
    expect(plain.status).toBe(202);
    await t.waitFor(((await plain.json()) as { taskId: string }).taskId, tenant);
    expect(chat()).toHaveLength(0);
  });

  it('a budget that runs out mid-task: the endpoints left keep their foundation cases with a warning', async () => {
    const tenant = freshTenant();
    // One token left: the first two calls (concurrency 2) start, nothing after them.
    await t.dataSource.query('INSERT INTO tenant_token_usage (tenant, tokens) VALUES ($1, $2)', [tenant, BUDGET - 1]);
    const { snap, events } = await run(tenant, { provider: 'ollama' });
    expect(brokenEventRules(events)).toEqual([]);
    expect(snap.status).toBe('completed');
    expect(chat()).toHaveLength(2);
    expect(otherWarnings(snap)).toEqual([expect.stringMatching(/token budget of this tenant is used up \(1 tokens\)/)]);
    expect(snap.result!.aiCaseCount).toBeGreaterThan(0);
    expect(await usageOf(tenant)).toBe(BUDGET - 1 + snap.tokens.total);
  });
});
