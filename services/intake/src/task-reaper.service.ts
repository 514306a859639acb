import { Inject, Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { subjects } from '@spectest/contracts';
import { MESSAGING, Messaging } from '@spectest/messaging';
import { TaskStore } from '@spectest/persistence';
import { ProgressWriter } from '@spectest/progress';
import { INTAKE_CONFIG, IntakeConfig } from './intake.config';

/**
 * Ends tasks that ran past their deadline (`timeoutSeconds`): whether a worker died or a stage is slow,
 * the task fails with `timeout` through the same writer, so it can never end twice.
 * Every intake replica runs it; the row lock in the writer makes concurrent reapers harmless.
 * A task that waits in the queue is not re-dispatched: its message is stored by the broker (a backlog is
 * not a lost message), and a dispatch the broker never got is published by the dispatch outbox.
 */
@Injectable()
export class TaskReaperService implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger(TaskReaperService.name);
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;

  constructor(
    private readonly tasks: TaskStore,
    private readonly writer: ProgressWriter,
    @Inject(MESSAGING) private readonly messaging: Messaging,
    @Inject(INTAKE_CONFIG) private readonly config: IntakeConfig,
  ) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.running ??= this.sweep()
        .then(() => undefined)
        .catch((err) => this.logger.warn({ err: String(err) }, 'reaper sweep failed'))
        .finally(() => (this.running = undefined));
    }, this.config.REAPER_INTERVAL_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  async sweep(now = new Date()): Promise<number> {
    let ended = 0;
    for (const taskId of await this.tasks.findOverdue(now)) {
      const result = await this.writer.report(taskId, {
        type: 'failed',
        messageKey: 'task.failed',
        messageParams: { reason: 'the task ran past its time limit' },
        error: { code: 'timeout', message: 'the task ran past its time limit (options.timeoutSeconds)' },
      });
      if (!result.ok) continue;
      ended++;
      this.logger.warn({ taskId }, 'task timed out');
      await this.messaging.publish(subjects.taskControl(taskId), { taskId, action: 'cancel', reason: 'timeout' });
    }
    return ended;
  }
}
