import { Inject, Injectable, Logger } from '@nestjs/common';
import { AppError, TaskSnapshot } from '@spectest/contracts';
import { MESSAGING, Messaging } from '@spectest/messaging';
import { AiUsageStore, TaskRecord, TaskStore } from '@spectest/persistence';
import { metrics } from '@spectest/platform';
import { ProgressWriter, TaskDispatcher } from '@spectest/progress';
import { randomUUID } from 'node:crypto';
import { INTAKE_CONFIG, IntakeConfig } from './intake.config';
import { TooManyRequestsError } from './intake.errors';
import { RateLimiter } from './rate-limiter';
import { SubmitRequest } from './submit-task.request';
import { specDigests } from './spec-digest';

export interface Submission {
  snapshot: TaskSnapshot;
  /** False when an Idempotency-Key matched an earlier submission. */
  created: boolean;
}

/** How long a submit waits for the broker to store the task's first message before answering anyway. */
const PUBLISH_TIMEOUT_MS = 2_000;

const isUniqueViolation = (err: unknown): boolean => (err as { code?: string })?.code === '23505';

/** Accepts a task: limits (before its body is read), idempotency, store (spec + task + first event), then `work.parse`. */
@Injectable()
export class SubmitTaskService {
  private readonly logger = new Logger(SubmitTaskService.name);
  private readonly limiter: RateLimiter;

  constructor(
    private readonly tasks: TaskStore,
    private readonly usage: AiUsageStore,
    private readonly writer: ProgressWriter,
    private readonly dispatcher: TaskDispatcher,
    @Inject(MESSAGING) private readonly messaging: Messaging,
    @Inject(INTAKE_CONFIG) private readonly config: IntakeConfig,
  ) {
    this.limiter = new RateLimiter(config.RATE_LIMIT_PER_MINUTE);
  }

  /**
   * Whether `tenant` may send a submission now (429 when over the rate or the concurrency limit, 503 while the
   * database or the broker is down), decided before its body is read. A key that replays an earlier
   * submission is always admitted: it creates nothing.
   */
  async admit(tenant: string, idempotencyKey: string | null): Promise<void> {
    if (idempotencyKey && (await this.tasks.findByIdempotencyKey(tenant, idempotencyKey))) return;
    const wait = this.limiter.take(tenant);
    if (wait > 0) throw new TooManyRequestsError('rate_limited', `over ${this.config.RATE_LIMIT_PER_MINUTE} submissions a minute`, wait);
    const active = await this.tasks.countActive(tenant);
    if (active >= this.config.MAX_ACTIVE_TASKS_PER_TENANT) {
      throw new TooManyRequestsError('too_many_tasks', `${active} tasks are still running; the limit is ${this.config.MAX_ACTIVE_TASKS_PER_TENANT}`, 5);
    }
    // A task accepted while the broker is down could not start: refuse it (503), before its body is even read.
    await this.messaging.ping();
  }

  /** Stores an admitted submission (see `admit`), or answers the earlier task of its Idempotency-Key. */
  async submit(tenant: string, req: SubmitRequest, idempotencyKey: string | null): Promise<Submission> {
    const digests = await specDigests(req.spec, JSON.stringify({ name: req.name, options: req.options }));
    const requestHash = digests.request;
    if (idempotencyKey) {
      const earlier = await this.tasks.findByIdempotencyKey(tenant, idempotencyKey);
      if (earlier) return this.replay(earlier, requestHash);
    }
    await this.checkTokenBudget(tenant, req);

    const taskId = randomUUID();
    const createdAt = new Date();
    const timeoutSeconds = req.options.timeoutSeconds ?? this.config.DEFAULT_TIMEOUT_SECONDS;
    let snapshot: TaskSnapshot;
    try {
      ({ snapshot } = await this.writer.createTask({
        taskId,
        tenant,
        name: req.name,
        createdAt,
        deadlineAt: new Date(createdAt.getTime() + timeoutSeconds * 1000),
        options: req.options as Record<string, unknown>,
        spec: { id: randomUUID(), content: req.spec, sha256: digests.spec },
        idempotencyKey,
        requestHash,
      }));
    } catch (err) {
      // Two requests with the same key raced: the loser answers with the winner's task.
      if (idempotencyKey && isUniqueViolation(err)) {
        const earlier = await this.tasks.findByIdempotencyKey(tenant, idempotencyKey);
        if (earlier) return this.replay(earlier, requestHash);
      }
      throw err;
    }
    // Stored is accepted: whatever happens to the publish now, the answer is 202, never a 500 that would
    // make a client without an Idempotency-Key submit a second task. A dispatch the broker did not get is
    // published by the outbox a few seconds later.
    try {
      await this.dispatcher.publish({ taskId, generation: 1, stage: 'parse' }, PUBLISH_TIMEOUT_MS);
    } catch (err) {
      this.logger.warn({ taskId, err: String((err as Error)?.message ?? err) }, 'task stored; its dispatch will be published by the outbox');
    }
    metrics.tasksSubmitted().inc();
    this.logger.log({ taskId, tenant, bytes: req.spec.length }, 'task accepted');
    return { snapshot, created: true };
  }

  /**
   * 402 when the task would call a model and the tenant has already spent its budget. A task without AI spends no
   * tokens and is accepted. A budget that runs out during a task is the enhancer's to handle (foundation cases kept).
   */
  private async checkTokenBudget(tenant: string, req: SubmitRequest): Promise<void> {
    const budget = this.config.TENANT_TOKEN_BUDGET;
    const provider = req.options.ai?.provider ?? 'none';
    if (budget === undefined || provider === 'none') return;
    const used = await this.usage.tokensUsed(tenant);
    if (used >= budget) {
      throw new AppError('insufficient_tokens', `the token budget of this tenant is used up (${used} of ${budget} tokens)`, 402);
    }
  }

  private replay(earlier: TaskRecord, requestHash: string): Submission {
    if (earlier.requestHash && earlier.requestHash !== requestHash) {
      throw new AppError('conflict', 'this Idempotency-Key was used for a different request', 409);
    }
    return { snapshot: earlier.snapshot, created: false };
  }
}
