import { Endpoint, MessageKey, MessageParams, TestCase, Tokens } from '@spectest/contracts';
import { ModelCallError, ModelProvider, ModelResult } from '../providers/model-provider';
import { buildEnhancementRequest } from './enhancement.prompt';
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
  /** Shortest gap between two live `enhancing.tokens` updates of the task. Default 250 (4 a second). */
  tokenReportIntervalMs?: number;
  now?: () => number;
}

export interface EnhanceOutcome {
  /** The AI cases only; the caller merges them with the foundation cases. */
  cases: TestCase[];
  warnings: string[];
  tokens: { prompt: number; completion: number; total: number };
}

const round1 = (n: number) => Math.round(n * 10) / 10;

/**
 * The enhancing stage's core: one model call per endpoint, reported as prompt -> calling -> tokens... -> parsing ->
 * merged, or -> fallback when the call fails or yields no valid case (the endpoint keeps its foundation cases and
 * the task gets a warning). Stage start/done/skip are the caller's. On abort it sends nothing more and rejects
 * with a `model_aborted` ModelCallError. A failing `report` rejects with its own error.
 */
export async function enhanceEndpoints(ctx: EnhanceContext): Promise<EnhanceOutcome> {
  const { endpoints, provider, signal } = ctx;
  const total = endpoints.length;
  const reporter = new SerialReporter(ctx.report, signal, ctx.tokenReportIntervalMs ?? 250, ctx.now ?? (() => performance.now()));
  const done = { prompt: 0, completion: 0 };
  let live = { completion: 0, perSecond: 0 };
  const tokens = (): Tokens => {
    const completion = done.completion + live.completion;
    return { prompt: done.prompt, completion, total: done.prompt + completion, perSecond: round1(live.perSecond) };
  };
  const cases: TestCase[] = [];
  const warnings: string[] = [];

  for (const [i, endpoint] of endpoints.entries()) {
    checkAborted(signal);
    const method = endpoint.method.toUpperCase();
    const label = `${method} ${endpoint.path}`;
    const update = (messageKey: MessageKey, params: MessageParams = {}, endpointsDone = i): StageUpdate => ({
      messageKey,
      messageParams: { method, path: endpoint.path, ...params },
      stageProgress: total ? endpointsDone / total : 1,
      endpointCount: total,
      currentEndpoint: i + 1,
      endpoint: label,
      tokens: tokens(),
    });
    const fallback = async (why: string) => {
      const warning = `AI enhancement failed for ${label}: ${why}; kept the foundation cases`;
      warnings.push(warning);
      await reporter.send({ ...update('enhancing.fallback', { reason: why }, i + 1), warnings: [warning] });
    };

    await reporter.send(update('enhancing.prompt'));
    checkAborted(signal);
    const operation = ctx.operationOf(endpoint);
    const request = buildEnhancementRequest(endpoint, asOperation(operation), ctx.foundationCases, ctx.maxCasesPerEndpoint);
    await reporter.send(update('enhancing.calling', { provider: provider.name, model: provider.model }));
    checkAborted(signal);

    live = { completion: 0, perSecond: 0 };
    let result: ModelResult;
    try {
      result = await provider.generate(
        request,
        (p) => {
          live = p;
          reporter.offerLive(() => update('enhancing.tokens', { completion: p.completion, perSecond: round1(p.perSecond) }));
        },
        signal,
      );
    } catch (e) {
      checkAborted(signal);
      // The tokens streamed before the failure were still spent.
      done.completion += live.completion;
      live = { completion: 0, perSecond: 0 };
      await reporter.flush();
      await fallback(e instanceof Error ? e.message : String(e));
      continue;
    }

    done.prompt += result.promptTokens;
    done.completion += result.completionTokens;
    live = { completion: 0, perSecond: result.durationMs > 0 ? result.completionTokens / (result.durationMs / 1000) : live.perSecond };
    await reporter.send(update('enhancing.tokens', { completion: result.completionTokens, perSecond: round1(live.perSecond) }));
    await reporter.send(update('enhancing.parsing'));
    checkAborted(signal);

    const parsed = parseModelCases(result.text, endpoint, ctx.maxCasesPerEndpoint, operation, ctx.foundationCases);
    if (!parsed.cases.length) {
      await fallback(parsed.reasons.length ? `no valid case in the answer (${summarize(parsed.reasons)})` : 'the answer held no case');
      continue;
    }
    cases.push(...parsed.cases);
    await reporter.send(update('enhancing.merged', { count: parsed.cases.length, dropped: parsed.dropped }, i + 1));
  }
  checkAborted(signal);
  return { cases, warnings, tokens: { prompt: done.prompt, completion: done.completion, total: done.prompt + done.completion } };
}

function checkAborted(signal: AbortSignal): void {
  if (signal.aborted) throw new ModelCallError('model_aborted', 'the enhancement was aborted');
}

function summarize(reasons: string[]): string {
  const shown = reasons.slice(0, 3).join('; ');
  return reasons.length > 3 ? `${shown}; and ${reasons.length - 3} more` : shown;
}
