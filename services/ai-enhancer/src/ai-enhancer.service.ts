import { Inject, Injectable, Logger } from '@nestjs/common';
import { AppError, Endpoint, isTerminalStatus } from '@spectest/contracts';
import { AiUsageStore, EnhancementCheckpointStore, GenerationStore, TaskStore } from '@spectest/persistence';
import { metrics } from '@spectest/platform';
import { StageReporter, StageRun, StaleDispatchError, storedOptions } from '@spectest/progress';
import { EndpointResult, EtaAccuracy, EtaEstimator, ModelCallError, ModelProvider, chooseProvider, enhanceEndpoints, isModelCallError, promptOperation } from '@spectest/enhancement';
import { AI_ENHANCER_CONFIG, AiEnhancerConfig, operationViewLimits, providerSettings } from './ai-enhancer.config';
import { TaskAbortRegistry } from './task-abort.registry';

/**
 * The enhancing stage: per endpoint, a streamed model call for extra cases. The model is outside our
 * control, so nothing it does fails the task: a failed endpoint keeps its foundation cases with a
 * warning, an absent provider skips the stage. Then the task goes to the packager.
 */
@Injectable()
export class AiEnhancerService {
  private readonly logger = new Logger(AiEnhancerService.name);

  constructor(
    private readonly tasks: TaskStore,
    private readonly generation: GenerationStore,
    private readonly usage: AiUsageStore,
    private readonly checkpoints: EnhancementCheckpointStore,
    private readonly aborts: TaskAbortRegistry,
    @Inject(AI_ENHANCER_CONFIG) private readonly config: AiEnhancerConfig,
  ) {}

  /**
   * Resumes from what is stored: a stage already over only hands off; a stage that ran before goes on
   * from its checkpoint (the endpoints done are not called again, nor charged again).
   */
  async run(run: StageRun): Promise<void> {
    const taskId = run.taskId;
    const task = await this.tasks.get(taskId);
    if (!task || isTerminalStatus(task.snapshot.status)) return;
    const stage = task.snapshot.stages.find((s) => s.name === 'enhancing');
    if (stage?.status === 'done' || stage?.status === 'skipped') {
      await run.handOff('package');
      return;
    }
    const reporter = run.reporter('enhancing');
    const started = Date.now();
    try {
      const options = storedOptions(task.options);
      const choice = chooseProvider(options.ai, providerSettings(this.config));
      if ('skipReason' in choice) {
        await reporter.skipped({
          messageKey: 'enhancing.skipped',
          messageParams: { reason: choice.skipReason },
          warnings: options.ai && options.ai.provider !== 'none' ? [`AI enhancement skipped: ${choice.skipReason}`] : undefined,
        });
      } else {
        await this.enhance(run, task.snapshot.tenant, choice.provider, options.ai?.maxCasesPerEndpoint ?? this.config.AI_MAX_CASES_PER_ENDPOINT, reporter);
      }
      metrics.stageDuration().observe({ stage: 'enhancing' }, (Date.now() - started) / 1000);
      await run.handOff('package');
    } catch (err) {
      if (isModelCallError(err) && err.code === 'model_aborted') {
        // Aborted because another delivery took the task over: the runner decides; a cancel: nothing to do.
        if (run.signal.aborted) throw run.signal.reason;
        return;
      }
      if (err instanceof AppError) {
        await reporter.fail({ code: err.code, message: err.message });
        return;
      }
      throw err;
    }
  }

  private async enhance(run: StageRun, tenant: string, provider: ModelProvider, maxCases: number, reporter: StageReporter): Promise<void> {
    const taskId = run.taskId;
    const doc = await this.generation.loadDocument(taskId);
    if (!doc) throw new AppError('task_data_missing', 'the parsed document of this task is missing');
    const foundationCases = (await this.generation.loadCases(taskId)).filter((c) => c.source === 'foundation');
    const completed = await this.checkpoints.load(taskId);
    const viewLimits = operationViewLimits(this.config);
    const operationOf = (e: Endpoint): object => promptOperation(doc.document, e, viewLimits);

    const history = await this.usage.modelHistory(provider.name, provider.model);
    // Before any call, only the model's history can say how long this will take.
    const firstEta = new EtaEstimator(doc.endpoints.length, this.config.AI_CONCURRENCY, 0, history).estimate(0, []);
    const resumedTokens = completed.reduce((n, c) => n + c.promptTokens + c.completionTokens, 0);
    await reporter.report({
      messageKey: 'enhancing.started',
      messageParams: { endpointCount: doc.endpoints.length, provider: provider.name, model: provider.model },
      stageProgress: doc.endpoints.length ? completed.length / doc.endpoints.length : 0,
      endpointCount: doc.endpoints.length,
      currentEndpoint: completed.length,
      ...(completed.length ? { tokens: { prompt: sum(completed, 'promptTokens'), completion: sum(completed, 'completionTokens'), total: resumedTokens, perSecond: 0 } } : {}),
      ...(firstEta !== null ? { etaMs: firstEta } : {}),
    });
    if (completed.length) this.logger.log({ taskId, endpointsDone: completed.length, tokens: resumedTokens }, 'enhancement resumed from its checkpoint');
    const cancel = this.aborts.register(taskId);
    try {
      const budget = this.config.TENANT_TOKEN_BUDGET;
      const tokenBudget = budget === undefined ? undefined : Math.max(0, budget - (await this.usage.tokensUsed(tenant)));
      const outcome = await enhanceEndpoints({
        endpoints: doc.endpoints,
        operationOf,
        foundationCases,
        provider,
        maxCasesPerEndpoint: maxCases,
        concurrency: this.config.AI_CONCURRENCY,
        history,
        tokenBudget,
        completed,
        // The result and the tenant's charge in one transaction, as each endpoint ends: the tenant's other
        // tasks and intake's 402 check see it at once, and a resumed stage neither redoes nor recharges it.
        onEndpointDone: async (result) => {
          const stored = await this.checkpoints.save(run.lease, tenant, result);
          if (!stored) throw new StaleDispatchError(taskId, 'the lease was lost before the endpoint was stored');
          return stored;
        },
        // A cancel or a timeout still costs what the model streamed; a run that lost its lease costs the
        // tenant nothing: the run that took over does the endpoint and is charged for it.
        onCallAborted: async (tokens) => {
          if (!run.signal.aborted) await this.usage.addTokens(tenant, tokens);
        },
        signal: AbortSignal.any([cancel.signal, run.signal]),
        report: (update) => reporter.report(update),
      });
      await this.usage.recordModelRun(provider.name, provider.model, {
        calls: outcome.calls.answered,
        msPerCall: outcome.calls.meanMs,
        completionPerCall: outcome.calls.meanCompletion,
        etaMeanAbsErrorMs: outcome.eta.meanAbsMs,
      });
      // A cancel or timeout that came while the last call was parsed: store nothing for a task that has ended.
      if (cancel.signal.aborted || run.signal.aborted) throw new ModelCallError('model_aborted', 'the enhancement was aborted');
      await this.generation.replaceCases(taskId, 'ai', outcome.cases, foundationCases.length);
      this.logger.log(
        { taskId, aiCases: outcome.cases.length, warnings: outcome.warnings.length, tokens: outcome.tokens.total, etaError: outcome.eta },
        'enhancement stored',
      );
      await reporter.done({
        messageKey: 'enhancing.done',
        // How far the ETAs given at 25/50/75% of the stage were from the truth, for whoever reads the event log.
        messageParams: { count: foundationCases.length + outcome.cases.length, ...etaErrorParams(outcome.eta) },
        endpointCount: doc.endpoints.length,
        currentEndpoint: doc.endpoints.length,
        tokens: { ...outcome.tokens, perSecond: 0 },
      });
    } finally {
      cancel.release();
    }
  }
}

const sum = (rows: EndpointResult[], key: 'promptTokens' | 'completionTokens'): number => rows.reduce((n, r) => n + r[key], 0);

function etaErrorParams(eta: EtaAccuracy): Record<string, number> {
  const out: Record<string, number> = {};
  if (eta.at25 !== null) out.etaErrorMsAt25 = eta.at25;
  if (eta.at50 !== null) out.etaErrorMsAt50 = eta.at50;
  if (eta.at75 !== null) out.etaErrorMsAt75 = eta.at75;
  if (eta.meanAbsMs !== null) out.etaMeanAbsErrorMs = eta.meanAbsMs;
  return out;
}
