import { Inject, Injectable, Logger, OnApplicationShutdown } from '@nestjs/common';
import { AppError, ParsedSpec, Stage, TaskOptions, TestCase, isTerminalStatus } from '@spectest/contracts';
import { GenerationStore, TaskStore } from '@spectest/persistence';
import { metrics } from '@spectest/platform';
import { StageReporter, StageRun, storedOptions } from '@spectest/progress';
import { SpecLimits, readSpec, selectEndpoints, stopSpecValidator } from '@spectest/openapi';
import { buildFoundationCases } from '@spectest/cases';
import { ParseStepHeartbeat } from './parse-step.heartbeat';
import { withKeepalive } from './stage-keepalive';
import { SPEC_PARSER_CONFIG, SpecParserConfig } from './spec-parser.config';

/**
 * The parsing and foundation stages of one task: read and validate the spec, plan its per-operation views, list the
 * endpoints, build the foundation cases, store them, then hand the task to the enhancer.
 */
@Injectable()
export class SpecParserService implements OnApplicationShutdown {
  private readonly logger = new Logger(SpecParserService.name);
  private readonly limits: SpecLimits;
  private readonly heartbeatMs: number;

  constructor(
    private readonly tasks: TaskStore,
    private readonly generation: GenerationStore,
    @Inject(SPEC_PARSER_CONFIG) config: SpecParserConfig,
  ) {
    this.limits = {
      maxBytes: config.SPEC_MAX_BYTES,
      maxDepth: config.SPEC_MAX_DEPTH,
      maxAliases: config.SPEC_MAX_ALIASES,
      maxOperations: config.SPEC_MAX_OPERATIONS,
      maxSchemaNesting: config.SPEC_MAX_SCHEMA_NESTING,
      maxExpandedNodes: config.SPEC_MAX_EXPANDED_NODES,
      maxExpandedBytes: config.SPEC_MAX_EXPANDED_BYTES,
    };
    this.heartbeatMs = config.PARSE_HEARTBEAT_MS;
  }

  /** The validator runs in a worker thread; it goes after the transport drained the in-flight work. */
  async onApplicationShutdown(): Promise<void> {
    await stopSpecValidator();
  }

  /**
   * The stage resumes from what is stored: foundation done -> only the hand-off; parsing done -> the
   * foundation cases from the stored document; otherwise the whole step. A spec that cannot be read
   * fails the task at once (no retry can read it); everything else is the transport's to retry.
   */
  async run(run: StageRun): Promise<void> {
    const taskId = run.taskId;
    const task = await this.tasks.get(taskId);
    if (!task || isTerminalStatus(task.snapshot.status)) return;
    const status = (name: string) => task.snapshot.stages.find((s) => s.name === name)?.status;
    const started = Date.now();
    let stage: Stage = status('parsing') === 'done' ? 'foundation' : 'parsing';
    try {
      if (status('foundation') !== 'done') {
        const options = storedOptions(task.options);
        const spec = stage === 'foundation' ? await this.storedSpec(taskId) : await this.parse(run, task.specId, options);
        stage = 'foundation';
        await this.generateFoundation(run, spec);
        metrics.stageDuration().observe({ stage: 'parsing' }, (Date.now() - started) / 1000);
      }
      await run.handOff('enhance');
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      await run.reporter(stage).fail({ code: err.code, message: err.message, details: err.details });
    }
  }

  /** The document the parsing step stored, for a foundation step that runs again. */
  private async storedSpec(taskId: string): Promise<ParsedSpec> {
    const doc = await this.generation.loadDocument(taskId);
    if (!doc) throw new AppError('task_data_missing', 'the parsed document of this task is missing');
    return doc;
  }

  private async parse(run: StageRun, specId: string, options: TaskOptions): Promise<ParsedSpec> {
    const taskId = run.taskId;
    const parsing = run.reporter('parsing');
    await parsing.report({ messageKey: 'parsing.started', stageProgress: 0 });
    const heartbeat = new ParseStepHeartbeat(
      (step, stageProgress) => parsing.report({ messageKey: 'parsing.step', messageParams: { step }, stageProgress }),
      this.heartbeatMs,
    );
    let spec: ParsedSpec;
    let endpoints: ParsedSpec['endpoints'];
    try {
      // The read step starts with loading the stored spec (about a second for a 47 MB one), so it beats from here.
      await heartbeat.step('read');
      const content = await this.tasks.getSpecContent(specId);
      if (!content) throw new AppError('invalid_spec', 'the stored specification is missing');
      // readSpec announces 'read' again right before parsing the text (one synchronous block): a beat just before it.
      spec = await readSpec(content, this.limits, (step) => heartbeat.step(step));
      endpoints = selectEndpoints(spec, options.include);
      // Still beating: storing a 45 MB document takes over a second.
      await this.generation.saveDocument(taskId, {
        title: spec.title,
        version: spec.version,
        openapiVersion: spec.openapiVersion,
        document: spec.document as Record<string, unknown>,
        endpoints,
        warnings: spec.warnings,
      });
    } catch (error) {
      await heartbeat.stop().catch(() => undefined);
      throw error;
    }
    await heartbeat.stop();
    await parsing.done({
      messageKey: 'parsing.done',
      messageParams: { endpointCount: endpoints.length, title: spec.title, version: spec.version },
      endpointCount: endpoints.length,
      currentEndpoint: 0,
      warnings: spec.warnings,
    });
    return { ...spec, endpoints };
  }

  private async generateFoundation(run: StageRun, spec: ParsedSpec): Promise<void> {
    const taskId = run.taskId;
    const foundation = run.reporter('foundation');
    const cases: TestCase[] = [];
    const n = spec.endpoints.length;
    let last: Parameters<StageReporter['report']>[0] | null = null;
    for (let i = 0; i < n; i++) {
      const endpoint = spec.endpoints[i];
      const update = {
        messageKey: 'foundation.endpoint' as const,
        messageParams: { method: endpoint.method.toUpperCase(), path: endpoint.path },
        endpoint: endpoint.key,
        endpointCount: n,
        currentEndpoint: i + 1,
        stageProgress: i / n,
      };
      // Big specs would otherwise write thousands of events a second: coalesce, but always show the first.
      if (i === 0) await foundation.report(update);
      else await foundation.reportCoalesced(update);
      last = update;
      cases.push(...buildFoundationCases(spec, endpoint));
    }
    // One transaction for every case (seconds for Graph's 75,000): the last endpoint's event again, once a beat.
    const beat = last;
    await withKeepalive(
      () => this.generation.replaceCases(taskId, 'foundation', cases),
      async () => (beat ? foundation.report(beat) : undefined),
      this.heartbeatMs,
    );
    this.logger.log({ taskId, cases: cases.length, endpoints: n }, 'foundation cases stored');
    await foundation.done({
      messageKey: 'foundation.done',
      messageParams: { count: cases.length },
      endpointCount: n,
      currentEndpoint: n,
    });
  }
}
