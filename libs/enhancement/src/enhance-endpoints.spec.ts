import { Endpoint, TestCaseSchema } from '@spectest/contracts';
import { Behaviour, FakeModelServer, startFakeModelServer } from '../../../tests/support/fake-model-server';
import { ModelCallError, ModelProvider, ModelRequest, ModelResult, TokenProgress } from './providers/model-provider';
import { OllamaProvider } from './providers/ollama.provider';
import { EnhanceContext, enhanceEndpoints } from './enhance-endpoints';
import { CREATE_PET, FOUNDATION, GET_PET, OPERATIONS } from '../../../tests/support/enhancement-petstore.fixture';
import { StageUpdate } from './serial-reporter';

type Step = { tokens: number; stepMs?: number; text?: string; error?: ModelCallError; promptTokens?: number };

const validAnswer = (e: Endpoint) =>
  JSON.stringify({
    cases:
      e === GET_PET
        ? [{ title: 'unknown id', reason: 'r', request: { pathParams: { petId: 424242 }, query: {}, headers: {} }, expect: { status: 404 } }]
        : [
            { title: 'no name', reason: 'r', request: { pathParams: {}, query: {}, headers: {}, body: {} }, expect: { status: 400 } },
            { title: 'name is a number', reason: 'r', request: { pathParams: {}, query: {}, headers: {}, body: { name: 1 } }, expect: { status: 400 } },
          ],
  });

/** A provider that plays a script, one step per call, on a clock the test owns. */
class ScriptedProvider implements ModelProvider {
  readonly name = 'ollama' as const;
  readonly model = 'scripted';
  readonly prompts: ModelRequest[] = [];
  constructor(
    private readonly steps: Step[],
    private readonly clock: { t: number },
  ) {}
  async generate(req: ModelRequest, onTokens: (p: TokenProgress) => void, signal: AbortSignal): Promise<ModelResult> {
    const step = this.steps[this.prompts.length];
    this.prompts.push(req);
    for (let i = 1; i <= step.tokens; i++) {
      await new Promise((r) => setImmediate(r));
      if (signal.aborted) throw new ModelCallError('model_aborted', 'aborted');
      this.clock.t += step.stepMs ?? 10;
      onTokens({ completion: i, perSecond: 100 });
    }
    if (step.error) throw step.error;
    return { text: step.text ?? '', promptTokens: step.promptTokens ?? 50, completionTokens: step.tokens, durationMs: step.tokens * 10 };
  }
}

function setup(steps: Step[], over: Partial<EnhanceContext> = {}) {
  const clock = { t: 0 };
  const provider = new ScriptedProvider(steps, clock);
  const reports: (StageUpdate & { at: number })[] = [];
  const ac = new AbortController();
  const ctx: EnhanceContext = {
    endpoints: [GET_PET, CREATE_PET],
    operationOf: (e) => OPERATIONS[e.key],
    foundationCases: FOUNDATION,
    provider,
    maxCasesPerEndpoint: 5,
    signal: ac.signal,
    report: async (u) => {
      reports.push({ ...u, at: clock.t });
    },
    now: () => clock.t,
    ...over,
  };
  return { ctx, reports, provider, ac, clock };
}

/** Consecutive live token updates collapse to one key, so the sequence reads like the contract. */
const sequence = (reports: StageUpdate[]) => reports.map((r) => r.messageKey).filter((k, i, all) => !(k === 'enhancing.tokens' && all[i - 1] === k));

describe('enhanceEndpoints', () => {
  it('reports prompt, calling, tokens, parsing, merged per endpoint, with monotone progress and task totals', async () => {
    const { ctx, reports, provider } = setup([
      { tokens: 30, text: validAnswer(GET_PET), promptTokens: 40 },
      { tokens: 20, stepMs: 30, text: validAnswer(CREATE_PET), promptTokens: 60 },
    ]);
    const out = await enhanceEndpoints(ctx);

    const perEndpoint = ['enhancing.prompt', 'enhancing.calling', 'enhancing.tokens', 'enhancing.parsing', 'enhancing.merged'];
    expect(sequence(reports)).toEqual([...perEndpoint, ...perEndpoint]);
    const progress = reports.map((r) => r.stageProgress!);
    expect(progress).toEqual([...progress].sort((a, b) => a - b));
    expect(progress[0]).toBe(0);
    expect(progress.at(-1)).toBe(1);
    expect(reports.find((r) => r.messageKey === 'enhancing.merged')).toMatchObject({ stageProgress: 0.5, messageParams: { count: 1, method: 'GET', path: '/pets/{petId}' } });
    for (const r of reports) {
      expect(r.endpointCount).toBe(2);
      expect(r.endpoint).toBe(r.currentEndpoint === 1 ? 'GET /pets/{petId}' : 'POST /pets');
      expect(r.messageParams).toMatchObject({ method: r.currentEndpoint === 1 ? 'GET' : 'POST' });
    }
    // The exact counters closing each call, cumulative for the task.
    const finals = reports.filter((r, i) => r.messageKey === 'enhancing.tokens' && reports[i + 1].messageKey === 'enhancing.parsing');
    expect(finals.map((r) => r.tokens)).toEqual([
      { prompt: 40, completion: 30, total: 70, perSecond: 100 },
      { prompt: 100, completion: 50, total: 150, perSecond: 100 },
    ]);
    expect(finals.map((r) => r.messageParams)).toEqual([expect.objectContaining({ completion: 30 }), expect.objectContaining({ completion: 20 })]);
    // Live ones count on top of what earlier calls used.
    const live2 = reports.filter((r) => r.currentEndpoint === 2 && r.messageKey === 'enhancing.tokens').slice(0, -1);
    expect(live2.length).toBeGreaterThan(0);
    for (const r of live2) expect(r.tokens!.completion).toBe(30 + Number(r.messageParams!.completion));

    expect(out.tokens).toEqual({ prompt: 100, completion: 50, total: 150 });
    expect(out.warnings).toEqual([]);
    expect(out.cases).toHaveLength(3);
    for (const c of out.cases) expect(TestCaseSchema.parse(c)).toMatchObject({ source: 'ai', kind: 'ai' });
    expect(provider.prompts[0].prompt).toContain('Operation: GET /pets/{petId}');
    expect(provider.prompts[0].prompt).toContain('GET /pets/{petId} positive -> 200');
  });

  it('coalesces live token updates to at most one per 250 ms of the task', async () => {
    const { ctx, reports } = setup([
      { tokens: 100, stepMs: 10, text: validAnswer(GET_PET) },
      { tokens: 100, stepMs: 10, text: validAnswer(CREATE_PET) },
    ]);
    await enhanceEndpoints(ctx);
    const live = reports.filter((r, i) => r.messageKey === 'enhancing.tokens' && reports[i + 1].messageKey !== 'enhancing.parsing');
    // 2 s of streaming: 8 at 4 a second, 9 if both ends land on a boundary.
    expect(live.length).toBeGreaterThanOrEqual(6);
    expect(live.length).toBeLessThanOrEqual(9);
    for (let i = 1; i < live.length; i++) expect(live[i].at - live[i - 1].at).toBeGreaterThanOrEqual(250);
  });

  it('falls back on a failed call, warns, counts the streamed tokens, and goes on with the next endpoint', async () => {
    const { ctx, reports } = setup([
      { tokens: 7, error: new ModelCallError('model_stream_broken', 'the model stream broke: aborted') },
      { tokens: 10, text: validAnswer(CREATE_PET), promptTokens: 20 },
    ]);
    const out = await enhanceEndpoints(ctx);
    expect(sequence(reports)).toEqual([
      'enhancing.prompt',
      'enhancing.calling',
      'enhancing.tokens',
      'enhancing.fallback',
      'enhancing.prompt',
      'enhancing.calling',
      'enhancing.tokens',
      'enhancing.parsing',
      'enhancing.merged',
    ]);
    const warning = 'AI enhancement failed for GET /pets/{petId}: the model stream broke: aborted; kept the foundation cases';
    expect(out.warnings).toEqual([warning]);
    expect(reports.find((r) => r.messageKey === 'enhancing.fallback')).toMatchObject({ warnings: [warning], stageProgress: 0.5, currentEndpoint: 1 });
    expect(out.cases.every((c) => c.endpoint === 'POST /pets')).toBe(true);
    expect(out.tokens).toEqual({ prompt: 20, completion: 17, total: 37 });
  });

  it('falls back when the answer holds no valid case, after parsing', async () => {
    const { ctx, reports } = setup([
      { tokens: 3, text: 'I cannot help with that.' },
      { tokens: 3, text: JSON.stringify({ cases: [{ title: 'x', reason: 'r', request: { method: 'DELETE' }, expect: { status: 400 } }] }) },
    ]);
    const out = await enhanceEndpoints(ctx);
    expect(sequence(reports).filter((k) => k !== 'enhancing.tokens')).toEqual([
      'enhancing.prompt',
      'enhancing.calling',
      'enhancing.parsing',
      'enhancing.fallback',
      'enhancing.prompt',
      'enhancing.calling',
      'enhancing.parsing',
      'enhancing.fallback',
    ]);
    expect(out.warnings).toEqual([
      'AI enhancement failed for GET /pets/{petId}: no valid case in the answer (the answer is not JSON); kept the foundation cases',
      'AI enhancement failed for POST /pets: no valid case in the answer (case 1: method DELETE is not POST); kept the foundation cases',
    ]);
    expect(out.cases).toEqual([]);
  });

  it('stops on abort with no further report and rejects with model_aborted; the tokens streamed are still spent', async () => {
    const { ctx, reports, ac } = setup([{ tokens: 1000, stepMs: 10 }, { tokens: 5 }]);
    const aborted: number[] = [];
    const run = enhanceEndpoints({ ...ctx, onCallAborted: async (n) => void aborted.push(n) }).catch((e: unknown) => e);
    while (!reports.some((r) => r.messageKey === 'enhancing.tokens')) await new Promise((r) => setImmediate(r));
    ac.abort();
    const countAtAbort = reports.length;
    const e = await run;
    expect(e).toBeInstanceOf(ModelCallError);
    expect((e as ModelCallError).code).toBe('model_aborted');
    await new Promise((r) => setTimeout(r, 20));
    expect(reports.length).toBe(countAtAbort);
    expect(reports.some((r) => r.messageKey === 'enhancing.fallback')).toBe(false);
    expect(aborted).toHaveLength(1);
    expect(aborted[0]).toBeGreaterThan(0);
  });

  it('lets a failing report reject the run: that is not a model failure', async () => {
    const { ctx } = setup([{ tokens: 1, text: validAnswer(GET_PET) }], {
      report: async (u) => {
        if (u.messageKey === 'enhancing.calling') throw new Error('database is down');
      },
    });
    await expect(enhanceEndpoints(ctx)).rejects.toThrow('database is down');
  });
});

/** Answers by the operation in the prompt, `stepMs` per token on the test's clock, counting the calls in flight. */
class ConcurrentProvider implements ModelProvider {
  readonly name = 'ollama' as const;
  readonly model = 'concurrent';
  inFlight = 0;
  maxInFlight = 0;
  calls = 0;
  constructor(
    private readonly clock: { t: number },
    private readonly tokens = 20,
  ) {}
  async generate(req: ModelRequest, onTokens: (p: TokenProgress) => void, signal: AbortSignal): Promise<ModelResult> {
    this.calls++;
    this.inFlight++;
    this.maxInFlight = Math.max(this.maxInFlight, this.inFlight);
    try {
      for (let i = 1; i <= this.tokens; i++) {
        await new Promise((r) => setImmediate(r));
        if (signal.aborted) throw new ModelCallError('model_aborted', 'aborted');
        this.clock.t += 5;
        onTokens({ completion: i, perSecond: 200 });
      }
      const text = validAnswer(req.prompt.includes('Operation: GET /pets/{petId}') ? GET_PET : CREATE_PET);
      return { text, promptTokens: 10, completionTokens: this.tokens, durationMs: this.tokens * 5 };
    } finally {
      this.inFlight--;
    }
  }
}

describe('enhanceEndpoints with bounded concurrency, a token budget and an ETA', () => {
  const four = [GET_PET, CREATE_PET, { ...GET_PET, key: 'GET /pets/{petId}#2' }, { ...CREATE_PET, key: 'POST /pets#2' }];

  it('runs at most `concurrency` calls at once; every message names its endpoint; totals are exact; cases keep endpoint order', async () => {
    const clock = { t: 0 };
    const provider = new ConcurrentProvider(clock);
    const reports: StageUpdate[] = [];
    const spentCalls: number[] = [];
    const out = await enhanceEndpoints({
      endpoints: four,
      operationOf: (e) => OPERATIONS[e.key.replace('#2', '')],
      foundationCases: FOUNDATION,
      provider,
      maxCasesPerEndpoint: 5,
      concurrency: 2,
      signal: new AbortController().signal,
      report: async (u) => {
        reports.push(u);
      },
      onEndpointDone: async (result) => {
        spentCalls.push(result.promptTokens + result.completionTokens);
        return result;
      },
      now: () => clock.t,
    });
    expect(provider.calls).toBe(4);
    expect(provider.maxInFlight).toBe(2);
    expect(out.tokens).toEqual({ prompt: 40, completion: 80, total: 120 });
    expect(spentCalls).toEqual([30, 30, 30, 30]);
    expect(out.cases.map((c) => c.endpoint)).toEqual(['GET /pets/{petId}', 'POST /pets', 'POST /pets', 'GET /pets/{petId}#2', 'POST /pets#2', 'POST /pets#2']);
    expect(out.calls).toMatchObject({ answered: 4, meanCompletion: 20 });
    for (const key of ['stageProgress', 'currentEndpoint'] as const) {
      const seen = reports.map((r) => r[key] as number);
      expect(seen).toEqual([...seen].sort((a, b) => a - b));
    }
    expect(reports.at(-1)).toMatchObject({ messageKey: 'enhancing.merged', stageProgress: 1, currentEndpoint: 4 });
    for (const r of reports) expect(r.endpoint).toBe(`${r.messageParams!.method} ${r.messageParams!.path}`);
    // The two calls interleave: some message about one endpoint comes between two about another.
    const labels = reports.map((r) => r.endpoint);
    expect(labels.some((l, i) => i > 1 && l === labels[i - 2] && l !== labels[i - 1])).toBe(true);
    // Once the first call finished, the task's own pace gives an ETA, and the 25/50/75% errors are measured.
    expect(reports.filter((r) => r.messageKey === 'enhancing.merged').every((r) => typeof r.etaMs === 'number')).toBe(true);
    expect(out.eta.meanAbsMs).not.toBeNull();
  });

  it('gives an ETA from the model history before anything is measured, and sums the live rates of the calls in flight', async () => {
    const clock = { t: 0 };
    const reports: StageUpdate[] = [];
    await enhanceEndpoints({
      endpoints: four,
      operationOf: (e) => OPERATIONS[e.key.replace('#2', '')],
      foundationCases: FOUNDATION,
      provider: new ConcurrentProvider(clock),
      maxCasesPerEndpoint: 5,
      concurrency: 2,
      history: { msPerCall: 1000, completionPerCall: 20 },
      signal: new AbortController().signal,
      report: async (u) => {
        reports.push(u);
      },
      tokenReportIntervalMs: 0,
      now: () => clock.t,
    });
    expect(reports[0]).toMatchObject({ messageKey: 'enhancing.prompt', etaMs: 2000 });
    const rates = reports.filter((r) => r.messageKey === 'enhancing.tokens').map((r) => r.tokens!.perSecond);
    expect(rates).toContain(400);
  });

  it('stops calling the model once the budget is spent: the rest fall back with a warning naming the budget', async () => {
    const clock = { t: 0 };
    const provider = new ConcurrentProvider(clock);
    const reports: StageUpdate[] = [];
    const out = await enhanceEndpoints({
      endpoints: [GET_PET, CREATE_PET],
      operationOf: (e) => OPERATIONS[e.key],
      foundationCases: FOUNDATION,
      provider,
      maxCasesPerEndpoint: 5,
      tokenBudget: 25,
      signal: new AbortController().signal,
      report: async (u) => {
        reports.push(u);
      },
      now: () => clock.t,
    });
    expect(provider.calls).toBe(1);
    expect(out.cases.every((c) => c.endpoint === 'GET /pets/{petId}')).toBe(true);
    expect(out.warnings).toEqual(['AI enhancement failed for POST /pets: the token budget of this tenant is used up (25 tokens); kept the foundation cases']);
    expect(reports.at(-1)).toMatchObject({ messageKey: 'enhancing.fallback', stageProgress: 1, endpoint: 'POST /pets' });
  });

  it('a failing report stops the other call in flight and rejects once every call has closed', async () => {
    const clock = { t: 0 };
    const provider = new ConcurrentProvider(clock, 1000);
    let calls = 0;
    const run = enhanceEndpoints({
      endpoints: four,
      operationOf: (e) => OPERATIONS[e.key.replace('#2', '')],
      foundationCases: FOUNDATION,
      provider,
      maxCasesPerEndpoint: 5,
      concurrency: 2,
      signal: new AbortController().signal,
      report: async (u) => {
        if (u.messageKey === 'enhancing.tokens' && ++calls === 3) throw new Error('database is down');
      },
      tokenReportIntervalMs: 0,
      now: () => clock.t,
    });
    await expect(run).rejects.toThrow('database is down');
    expect(provider.inFlight).toBe(0);
    expect(provider.calls).toBe(2);
  });
});

describe('enhanceEndpoints with the Ollama provider and the fake model server', () => {
  let server: FakeModelServer;
  beforeEach(async () => {
    server = await startFakeModelServer({ tokensPerSecond: 3000 });
  });
  afterEach(async () => {
    await server.close();
  });

  it('merges the realistic answer, falls back on a 500, and sums the exact counters', async () => {
    // Every try of POST /pets answers 500: retried, then given up.
    server.setBehaviour((req) => (req.operation === 'POST /pets' ? { kind: 'server_error' } : { kind: 'ok' }));
    const reports: StageUpdate[] = [];
    const out = await enhanceEndpoints({
      endpoints: [GET_PET, CREATE_PET],
      operationOf: (e) => OPERATIONS[e.key],
      foundationCases: FOUNDATION,
      provider: new OllamaProvider({ baseUrl: server.url, model: 'llama3.2' }),
      maxCasesPerEndpoint: 4,
      signal: new AbortController().signal,
      report: async (u) => {
        reports.push(u);
      },
    });
    const reply = server.requests[0].reply!;
    expect(out.tokens).toEqual({ prompt: reply.promptTokens, completion: reply.completionTokens, total: reply.promptTokens + reply.completionTokens });
    expect(out.cases.length).toBeGreaterThanOrEqual(1);
    expect(out.cases.every((c) => c.endpoint === 'GET /pets/{petId}' && c.source === 'ai')).toBe(true);
    expect(out.warnings).toEqual([expect.stringMatching(/^AI enhancement failed for POST \/pets: model server answered 500: .+; kept the foundation cases$/)]);
    expect(server.requests[0].body.format).toMatchObject({ required: ['cases'] });
    expect(reports.at(-1)).toMatchObject({ messageKey: 'enhancing.fallback', stageProgress: 1 });
  });
});

describe('enhanceEndpoints, two calls at a time, in each mode of the fake model server', () => {
  let server: FakeModelServer;
  beforeEach(async () => {
    server = await startFakeModelServer({ tokensPerSecond: 3000 });
  });
  afterEach(async () => {
    await server.close();
  });
  const activeTimers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;
  /**
   * Waits for the sockets to close and the timer count to come back down. Node's HTTP server keeps a Date-header
   * cache timer for up to a second after an answer, and the fake paces tokens with timers: those expire by
   * themselves, while a timer of ours left behind (call timeout 120 s, idle 300 ms re-armed) would not.
   */
  const settle = async (timersBefore: number) => {
    const until = Date.now() + 2500;
    while ((server.openSockets() > 0 || activeTimers() > timersBefore) && Date.now() < until) await new Promise((r) => setTimeout(r, 10));
  };
  const enhance = (signal = new AbortController().signal, reports: StageUpdate[] = []) =>
    enhanceEndpoints({
      endpoints: [GET_PET, CREATE_PET],
      operationOf: (e) => OPERATIONS[e.key],
      foundationCases: FOUNDATION,
      provider: new OllamaProvider({ baseUrl: server.url, model: 'llama3.2', idleTimeoutMs: 300, maxRetryDelayMs: 20 }),
      maxCasesPerEndpoint: 4,
      concurrency: 2,
      signal,
      report: async (u) => {
        reports.push(u);
      },
    });

  const MODES: [string, Behaviour, RegExp | null][] = [
    ['ok', { kind: 'ok' }, null],
    ['slow', { kind: 'slow', tokensPerSecond: 400 }, null],
    ['rate_limit', { kind: 'rate_limit', times: 2, retryAfterSeconds: 0 }, null],
    ['invalid_json', { kind: 'invalid_json' }, /no valid case in the answer/],
    ['unknown_operation', { kind: 'unknown_operation' }, /no valid case in the answer/],
    ['stall', { kind: 'stall', afterTokens: 3 }, /stalled for 300 ms/],
    ['drop', { kind: 'drop', afterTokens: 3 }, /the model stream (broke|ended before)/],
    ['server_error', { kind: 'server_error' }, /model server answered 500/],
  ];
  it.each(MODES)('%s: the right outcome, exact counters, no socket or timer left', async (_mode, behaviour, fallbackWhy) => {
    server.setBehaviour(behaviour);
    const timersBefore = activeTimers();
    const reports: StageUpdate[] = [];
    const out = await enhance(undefined, reports);
    const answered = server.requests.filter((r) => r.status === 200);
    if (fallbackWhy) {
      expect(out.cases).toEqual([]);
      expect(out.warnings).toHaveLength(2);
      for (const w of out.warnings) expect(w).toMatch(fallbackWhy);
    } else {
      expect(out.warnings).toEqual([]);
      expect(new Set(out.cases.map((c) => c.endpoint))).toEqual(new Set([GET_PET.key, CREATE_PET.key]));
    }
    if (behaviour.kind !== 'stall' && behaviour.kind !== 'drop') {
      const replies = answered.map((r) => r.reply!);
      expect(out.tokens.prompt).toBe(replies.reduce((n, r) => n + r.promptTokens, 0));
      expect(out.tokens.completion).toBe(replies.reduce((n, r) => n + r.completionTokens, 0));
    }
    expect(reports.at(-1)).toMatchObject({ stageProgress: 1, currentEndpoint: 2 });
    await settle(timersBefore);
    expect(server.openSockets()).toBe(0);
    expect(server.requests.every((r) => r.socketClosed)).toBe(true);
    expect(activeTimers()).toBeLessThanOrEqual(timersBefore);
  });

  it('abort with two streams in flight: both connections close, the run rejects, nothing is left', async () => {
    server.setBehaviour({ kind: 'slow', tokensPerSecond: 20 });
    const timersBefore = activeTimers();
    const ac = new AbortController();
    const reports: StageUpdate[] = [];
    const run = enhance(ac.signal, reports).catch((e: unknown) => e);
    while (server.requests.filter((r) => r.status === 200).length < 2) await new Promise((r) => setTimeout(r, 10));
    ac.abort();
    const e = await run;
    expect(e).toMatchObject({ code: 'model_aborted' });
    await settle(timersBefore);
    expect(server.requests.map((r) => [r.closedByClient, r.socketClosed])).toEqual([
      [true, true],
      [true, true],
    ]);
    expect(activeTimers()).toBeLessThanOrEqual(timersBefore);
  });
});
