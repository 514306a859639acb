import { Endpoint, MessageKey, MessageParams, TestCase, Tokens } from '@spectest/contracts';
import type { EndpointCheckpoint } from '@spectest/contracts';
import { ModelCallError, ModelProvider, ModelResult } from './providers/model-provider';
import { buildEnhancementRequest } from './enhancement.prompt';
import { EtaAccuracy, EtaEstimator, ModelHistory } from './eta.estimator';
import { asOperation } from './operation';
import { parseModelCases } from './parse-model-cases';
import { SerialReporter, StageUpdate } from './serial-reporter';

export interface EnhanceContext {
  endpoints: Endpoint[];
  /** The dereferenced OpenAPI operation object of an endpoint. */
  operationOf(endpoint: Endpoint): object;
  foundationCases: TestCase[];
  provider: ModelProvider;
  maxCasesPerEndpoint: number;
  signal: AbortSignal;
  report(update: StageUpdate): Promise<void>;
  /** Model calls in flight at once. Default 1. */
  concurrency?: number;
  /** Earlier runs of this provider and model, for the ETA before this task has measured anything. */
  history?: ModelHistory | null;
  /**
   * Tokens the task may still spend (the tenant's budget left at the start of the stage). No new call starts once
   * the task has spent it; the endpoints left keep their foundation cases. Default unlimited.
   */
  tokenBudget?: number;
  /**
   * Endpoints an earlier run of the stage finished (its checkpoint): they are not called again, and their
   * cases, warnings and tokens count as this run's.
   */
  completed?: EndpointResult[];
  /**
   * Called once per endpoint that is over (answered, failed or skipped), before its last report: the caller
   * stores it and charges its tokens (one transaction), and returns what is stored, which is an earlier
   * run's result when one was stored first. A throw stops the stage like a failing report.
   */
  onEndpointDone?(result: EndpointResult): Promise<EndpointResult>;
  /** The tokens of a call cut short by the caller's abort (a cancel, a timeout): spent, though no result is stored. */
  onCallAborted?(tokens: number): Promise<void>;
  /** Shortest gap between two live `enhancing.tokens` updates of the task. Default 250 (4 a second). */
  tokenReportIntervalMs?: number;
  now?: () => number;
}

/** One endpoint's part of the stage: what the checkpoint stores of it. */
export type EndpointResult = EndpointCheckpoint;

export interface EnhanceOutcome {
  /** The AI cases only; the caller merges them with the foundation cases. */
  cases: TestCase[];
  warnings: string[];
  tokens: { prompt: number; completion: number; total: number };
  /** Endpoints whose call answered (whatever the answer held), their mean wall time and completion tokens. */
  calls: { answered: number; meanMs: number; meanCompletion: number };
  eta: EtaAccuracy;
}

const round1 = (n: number) => Math.round(n * 10) / 10;

/**
 * The enhancing stage's core: one model call per endpoint, `concurrency` at a time, each reported as prompt -> calling
 * -> tokens... -> parsing -> merged, or -> fallback when the call fails, yields no valid case or the token budget is
 * spent (the endpoint keeps its foundation cases and the task gets a warning). Every message names its endpoint, and
 * all go through one serial reporter, so interleaved endpoints still read as a story; `currentEndpoint` counts the
 * endpoints started, `stageProgress` the work done (never down). Stage start/done/skip are the caller's.
 * On abort it sends nothing more, waits for its calls to close, and rejects with a `model_aborted` ModelCallError.
 * A failing `report` (or `onTokensSpent`) stops the other calls and rejects with its own error.
 */
export async function enhanceEndpoints(ctx: EnhanceContext): Promise<EnhanceOutcome> {
  const { endpoints, provider } = ctx;
  const total = endpoints.length;
  const now = ctx.now ?? (() => performance.now());
  const concurrency = Math.max(1, Math.floor(ctx.concurrency ?? 1));
  const budget = ctx.tokenBudget ?? Infinity;
  // Our own signal: the caller's abort, or the first failure of one call, stops every other call.
  const stop = new AbortController();
  const onAbort = () => stop.abort(ctx.signal.reason);
  if (ctx.signal.aborted) onAbort();
  else ctx.signal.addEventListener('abort', onAbort, { once: true });
  const signal = stop.signal;

  const reporter = new SerialReporter(ctx.report, signal, ctx.tokenReportIntervalMs ?? 250, now);
  const eta = new EtaEstimator(total, concurrency, now(), ctx.history ?? null);
  const completed = new Map((ctx.completed ?? []).filter((r) => r.index >= 0 && r.index < total).map((r) => [r.index, r]));
  const done = { prompt: 0, completion: 0 };
  for (const r of completed.values()) {
    done.prompt += r.promptTokens;
    done.completion += r.completionTokens;
    eta.endpointFinished(r.answered ? r.completionTokens : undefined);
  }
  // The budget is what is left for this run: the checkpointed endpoints were charged already.
  const spentBefore = done.prompt + done.completion;
  /** Per worker slot: the live counters of its call in flight, and the rate it last streamed at. */
  const live = new Map<number, { completion: number; perSecond: number }>();
  const rates = new Map<number, number>();
  const calls = { answered: 0, ms: 0, completion: 0 };
  let started = completed.size;
  let shownProgress = total ? completed.size / total : 0;
  const liveCompletions = () => [...live.values()].map((l) => l.completion);
  const spent = () => done.prompt + done.completion + liveCompletions().reduce((a, b) => a + b, 0) - spentBefore;
  const tokens = (): Tokens => {
    const completion = done.completion + liveCompletions().reduce((a, b) => a + b, 0);
    const perSecond = [...rates.values()].reduce((a, b) => a + b, 0);
    return { prompt: done.prompt, completion, total: done.prompt + completion, perSecond: round1(perSecond) };
  };
  const results: { cases: TestCase[]; warning?: string }[] = [];
  for (const r of completed.values()) results[r.index] = { cases: r.cases, ...(r.warning ? { warning: r.warning } : {}) };

  const enhanceOne = async (i: number, slot: number): Promise<void> => {
    const endpoint = endpoints[i];
    const method = endpoint.method.toUpperCase();
    const label = `${method} ${endpoint.path}`;
    started += 1;
    const update = (messageKey: MessageKey, params: MessageParams = {}): StageUpdate => {
      const t = now();
      const etaMs = eta.estimate(t, liveCompletions());
      shownProgress = Math.max(shownProgress, total ? eta.unitsDone(liveCompletions()) / total : 1);
      return {
        messageKey,
        messageParams: { method, path: endpoint.path, ...params },
        stageProgress: shownProgress,
        endpointCount: total,
        currentEndpoint: started,
        endpoint: label,
        tokens: tokens(),
        ...(etaMs !== null ? { etaMs } : {}),
      };
    };
    /** Stores the endpoint's result; what is stored (ours, or an earlier run's) is what counts. */
    const finish = async (result: Omit<EndpointResult, 'index' | 'endpoint'>): Promise<EndpointResult> => {
      const mine: EndpointResult = { index: i, endpoint: endpoint.key, ...result };
      const stored = ctx.onEndpointDone ? await ctx.onEndpointDone(mine) : mine;
      done.prompt += stored.promptTokens - mine.promptTokens;
      done.completion += stored.completionTokens - mine.completionTokens;
      results[i] = { cases: stored.cases, ...(stored.warning ? { warning: stored.warning } : {}) };
      return stored;
    };
    const fallback = async (why: string, spentTokens: { prompt: number; completion: number; ms: number; answered: boolean }) => {
      const warning = `AI enhancement failed for ${label}: ${why}; kept the foundation cases`;
      const stored = await finish({
        cases: [],
        warning,
        answered: spentTokens.answered,
        promptTokens: spentTokens.prompt,
        completionTokens: spentTokens.completion,
        durationMs: spentTokens.ms,
      });
      if (stored.cases.length) return void (await reporter.send(update('enhancing.merged', { count: stored.cases.length, dropped: 0 })));
      await reporter.send({ ...update('enhancing.fallback', { reason: why }), warnings: [stored.warning ?? warning] });
    };
    const nothingSpent = { prompt: 0, completion: 0, ms: 0, answered: false };

    if (spent() >= budget) {
      eta.endpointFinished();
      await fallback(`the token budget of this tenant is used up (${budget} tokens)`, nothingSpent);
      return;
    }
    await reporter.send(update('enhancing.prompt'));
    checkAborted(signal);
    const operation = ctx.operationOf(endpoint);
    const request = buildEnhancementRequest(endpoint, asOperation(operation), ctx.foundationCases, ctx.maxCasesPerEndpoint);
    await reporter.send(update('enhancing.calling', { provider: provider.name, model: provider.model }));
    checkAborted(signal);

    live.set(slot, { completion: 0, perSecond: 0 });
    rates.set(slot, 0);
    const callStarted = now();
    let result: ModelResult;
    try {
      result = await provider.generate(
        request,
        (p) => {
          live.set(slot, p);
          rates.set(slot, p.perSecond);
          reporter.offerLive(() => update('enhancing.tokens', { completion: p.completion, perSecond: round1(p.perSecond) }));
        },
        signal,
      );
    } catch (e) {
      // The tokens streamed before the failure were still spent; an aborted call is redone by whoever resumes.
      const streamed = live.get(slot)?.completion ?? 0;
      done.completion += streamed;
      live.delete(slot);
      if (ctx.signal.aborted) await ctx.onCallAborted?.(streamed);
      checkAborted(signal);
      eta.endpointFinished();
      await reporter.flush();
      await fallback(e instanceof Error ? e.message : String(e), { prompt: 0, completion: streamed, ms: now() - callStarted, answered: false });
      return;
    }

    const perSecond = result.durationMs > 0 ? result.completionTokens / (result.durationMs / 1000) : (live.get(slot)?.perSecond ?? 0);
    done.prompt += result.promptTokens;
    done.completion += result.completionTokens;
    live.delete(slot);
    rates.set(slot, perSecond);
    const callMs = now() - callStarted;
    calls.answered += 1;
    calls.ms += callMs;
    calls.completion += result.completionTokens;
    await reporter.send(update('enhancing.tokens', { completion: result.completionTokens, perSecond: round1(perSecond) }));
    await reporter.send(update('enhancing.parsing'));
    if (ctx.signal.aborted) await ctx.onCallAborted?.(result.promptTokens + result.completionTokens);
    checkAborted(signal);

    const parsed = parseModelCases(result.text, endpoint, ctx.maxCasesPerEndpoint, operation, ctx.foundationCases);
    eta.endpointFinished(result.completionTokens);
    const answered = { prompt: result.promptTokens, completion: result.completionTokens, ms: callMs, answered: true };
    if (!parsed.cases.length) {
      await fallback(parsed.reasons.length ? `no valid case in the answer (${summarize(parsed.reasons)})` : 'the answer held no case', answered);
      return;
    }
    const stored = await finish({ cases: parsed.cases, warning: null, answered: true, promptTokens: answered.prompt, completionTokens: answered.completion, durationMs: callMs });
    if (stored.warning) return void (await reporter.send({ ...update('enhancing.fallback', { reason: 'an earlier run fell back' }), warnings: [stored.warning] }));
    await reporter.send(update('enhancing.merged', { count: stored.cases.length, dropped: stored.cases === parsed.cases ? parsed.dropped : 0 }));
  };

  const pending = Array.from({ length: total }, (_, i) => i).filter((i) => !completed.has(i));
  let firstError: { error: unknown } | null = null;
  const worker = async (slot: number): Promise<void> => {
    try {
      for (let i = pending.shift(); i !== undefined && !signal.aborted; i = pending.shift()) await enhanceOne(i, slot);
    } catch (error) {
      firstError ??= { error };
      stop.abort(error);
    }
  };
  try {
    await Promise.all(Array.from({ length: Math.min(concurrency, pending.length) }, (_, slot) => worker(slot)));
  } finally {
    ctx.signal.removeEventListener('abort', onAbort);
  }
  // The caller's abort wins over whatever error it caused in a call.
  checkAborted(ctx.signal);
  if (firstError) throw (firstError as { error: unknown }).error;

  const ordered = results.filter(Boolean);
  return {
    cases: ordered.flatMap((r) => r.cases),
    warnings: ordered.flatMap((r) => (r.warning ? [r.warning] : [])),
    tokens: { prompt: done.prompt, completion: done.completion, total: done.prompt + done.completion },
    calls: {
      answered: calls.answered,
      meanMs: calls.answered ? Math.round(calls.ms / calls.answered) : 0,
      meanCompletion: calls.answered ? Math.round(calls.completion / calls.answered) : 0,
    },
    eta: eta.accuracy(now()),
  };
}

function checkAborted(signal: AbortSignal): void {
  if (signal.aborted) throw new ModelCallError('model_aborted', 'the enhancement was aborted');
}

function summarize(reasons: string[]): string {
  const shown = reasons.slice(0, 3).join('; ');
  return reasons.length > 3 ? `${shown}; and ${reasons.length - 3} more` : shown;
}
