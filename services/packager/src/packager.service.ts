import { Inject, Injectable, Logger } from '@nestjs/common';
import { AppError, TaskEvent, TaskOptions, TaskResult, TaskSnapshot, TestCase, isTerminalStatus } from '@spectest/contracts';
import { ARTIFACT_STORE, ArtifactStore, GenerationStore, StoredArtifact, TaskStore } from '@spectest/persistence';
import { metrics } from '@spectest/platform';
import { StageReporter, StageRun, storedOptions } from '@spectest/progress';
import { ArtifactEntry, ArtifactInput, artifactEntries, zipArtifactStream } from '@spectest/artifact';
import { Readable } from 'node:stream';
import { PACKAGER_CONFIG, PackagerConfig } from './packager.config';

/**
 * The packaging stage: cases -> runnable node:test project, Postman collection, cases.json, REPORT.md
 * -> one deterministic ZIP, streamed into the artifact store as it is made (each file produced when its
 * turn comes, then let go), then the terminal `completed` event.
 */
@Injectable()
export class PackagerService {
  private readonly logger = new Logger(PackagerService.name);

  constructor(
    private readonly tasks: TaskStore,
    private readonly generation: GenerationStore,
    @Inject(ARTIFACT_STORE) private readonly artifacts: ArtifactStore,
    @Inject(PACKAGER_CONFIG) private readonly config: PackagerConfig,
  ) {}

  /** Resumes from what is stored: an artifact already stored (the run died before its last event) only needs the terminal event. */
  async run(run: StageRun): Promise<void> {
    const task = await this.tasks.get(run.taskId);
    if (!task || isTerminalStatus(task.snapshot.status)) return;
    const reporter = run.reporter('packaging');
    const started = Date.now();
    try {
      const stored = await this.artifacts.head(run.taskId);
      const result = stored ? await this.resultOf(run.taskId, stored, await this.generation.countCases(run.taskId)) : await this.package(task.snapshot, task.options, reporter);
      if (!stored) metrics.stageDuration().observe({ stage: 'packaging' }, (Date.now() - started) / 1000);
      await reporter.complete(result, { messageKey: 'task.completed', messageParams: { caseCount: result.caseCount } });
    } catch (err) {
      if (!(err instanceof AppError)) throw err;
      await reporter.fail({ code: err.code, message: err.message });
    }
  }

  private async package(snapshot: TaskSnapshot, rawOptions: Record<string, unknown>, reporter: StageReporter): Promise<TaskResult> {
    const taskId = snapshot.taskId;
    const options = storedOptions(rawOptions);
    await reporter.report({ messageKey: 'packaging.started', stageProgress: 0 });
    const doc = await this.generation.loadPackagingDocument(taskId);
    if (!doc) throw new AppError('task_data_missing', 'the parsed document of this task is missing');
    const cases = await this.generation.loadCases(taskId);
    const etaError = etaErrorOf(await this.tasks.findLastEvent(taskId, 'enhancing.done'));
    const entries = artifactEntries(artifactInput(snapshot, options, doc, cases, etaError));
    await reporter.report({ messageKey: 'packaging.zip', messageParams: { files: 0, totalFiles: entries.length, bytes: 0 }, stageProgress: 0.5 });
    const stored = await this.artifacts.put(taskId, this.zipWithProgress(entries, reporter));
    const aiCaseCount = cases.filter((c) => c.source === 'ai').length;
    const result = await this.resultOf(taskId, stored, { foundation: cases.length - aiCaseCount, ai: aiCaseCount });
    await reporter.report({
      messageKey: 'packaging.done',
      messageParams: { files: entries.length, bytes: stored.bytes },
      stageProgress: 0.9,
    });
    this.logger.log({ taskId, bytes: stored.bytes, files: entries.length, cases: cases.length }, 'artifact stored');
    return result;
  }

  private async resultOf(taskId: string, stored: StoredArtifact, counts: { foundation: number; ai: number }): Promise<TaskResult> {
    return {
      caseCount: counts.foundation + counts.ai,
      foundationCaseCount: counts.foundation,
      aiCaseCount: counts.ai,
      artifact: { url: this.artifactUrl(taskId), bytes: stored.bytes, sha256: stored.sha256 },
    };
  }

  /**
   * The ZIP stream, telling the task how far it is: files written and ZIP bytes, a few events a second at
   * most (coalesced), stage progress 0.5 -> 0.9. One update in flight at a time. A refusal (the task
   * ended: cancelled, timed out) ends the stream with that error, so the store keeps nothing and the
   * stage stops without zipping the rest.
   */
  private zipWithProgress(entries: ArtifactEntry[], reporter: StageReporter): Readable {
    let inFlight = false;
    const zip: Readable = zipArtifactStream(entries, (progress) => {
      if (inFlight || zip.destroyed) return;
      inFlight = true;
      reporter
        .reportCoalesced({
          messageKey: 'packaging.zip',
          messageParams: { files: progress.filesWritten, totalFiles: progress.totalFiles, bytes: progress.bytes },
          stageProgress: 0.5 + (0.4 * progress.filesWritten) / Math.max(1, progress.totalFiles),
        })
        .catch((error: unknown) => {
          // Destroying a stream that has already ended would emit an 'error' nobody listens to (a crash): a
          // refusal that comes once the ZIP is whole has nothing left to stop, the terminal report is refused.
          if (!zip.destroyed && !zip.readableEnded) zip.destroy(error instanceof Error ? error : new Error(String(error)));
        })
        .finally(() => (inFlight = false));
    });
    return zip;
  }

  private artifactUrl(taskId: string): string {
    const path = `/v1/tasks/${taskId}/artifact`;
    return this.config.PUBLIC_BASE_URL ? new URL(path, this.config.PUBLIC_BASE_URL).toString() : path;
  }
}

/**
 * What the artifact is made of: a pure function of the task's stored inputs (document, cases, options)
 * and of what its run measured (stage timings, tokens, ETA error, warnings), which only REPORT.md shows.
 */
export function artifactInput(
  snapshot: TaskSnapshot,
  options: TaskOptions,
  doc: { title: string; version: string; document: unknown },
  cases: TestCase[],
  etaError: ArtifactInput['report']['etaError'],
): ArtifactInput {
  return {
    title: doc.title,
    version: doc.version,
    document: doc.document,
    cases,
    formats: options.formats ?? ['node-test', 'postman'],
    report: {
      warnings: snapshot.warnings,
      stageTimings: snapshot.stages.filter((s) => s.durationMs !== null).map((s) => ({ stage: s.name, durationMs: s.durationMs ?? 0 })),
      model: options.ai && options.ai.provider !== 'none' ? `${options.ai.provider}:${options.ai.model ?? 'default'}` : null,
      tokens: snapshot.tokens.total > 0 ? snapshot.tokens : undefined,
      etaError,
    },
  };
}

/** The enhancer measured its ETA error and put it in the `enhancing.done` event; the report states it. */
function etaErrorOf(event: TaskEvent | null) {
  const p = event?.messageParams;
  if (!p || p.etaMeanAbsErrorMs === undefined) return undefined;
  const num = (v: string | number | undefined) => (typeof v === 'number' ? v : null);
  return { at25: num(p.etaErrorMsAt25), at50: num(p.etaErrorMsAt50), at75: num(p.etaErrorMsAt75), meanAbs: num(p.etaMeanAbsErrorMs) };
}
