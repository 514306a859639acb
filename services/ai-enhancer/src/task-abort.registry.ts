import { Inject, Injectable, Logger, OnModuleDestroy, OnModuleInit } from '@nestjs/common';
import { TaskControlMessageSchema, subjects } from '@spectest/contracts';
import { MESSAGING, Messaging, Unsubscribe } from '@spectest/messaging';

/**
 * Abort signals of the tasks this process is enhancing. A cancel (or timeout) published on
 * task.<id>.control aborts the in-flight model stream of that task, wherever it runs.
 */
@Injectable()
export class TaskAbortRegistry implements OnModuleInit, OnModuleDestroy {
  private readonly logger = new Logger(TaskAbortRegistry.name);
  private readonly controllers = new Map<string, AbortController>();
  private unsubscribe?: Unsubscribe;

  constructor(@Inject(MESSAGING) private readonly messaging: Messaging) {}

  async onModuleInit(): Promise<void> {
    this.unsubscribe = await this.messaging.subscribe(subjects.taskControlAll, (payload, subject) => {
      const msg = TaskControlMessageSchema.safeParse(payload);
      if (!msg.success) {
        this.logger.warn({ subject }, 'invalid control message ignored');
        return;
      }
      this.abort(msg.data.taskId, msg.data.reason ?? msg.data.action);
    });
  }

  async onModuleDestroy(): Promise<void> {
    for (const c of this.controllers.values()) c.abort(new Error('shutting down'));
    await this.unsubscribe?.();
  }

  /** A signal for one run of the stage; `release` when the run ends. */
  register(taskId: string): { signal: AbortSignal; release(): void } {
    const controller = new AbortController();
    this.controllers.get(taskId)?.abort(new Error('superseded'));
    this.controllers.set(taskId, controller);
    return {
      signal: controller.signal,
      release: () => {
        if (this.controllers.get(taskId) === controller) this.controllers.delete(taskId);
      },
    };
  }

  abort(taskId: string, reason: string): void {
    const c = this.controllers.get(taskId);
    if (!c) return;
    this.logger.log({ taskId, reason }, 'aborting model calls');
    c.abort(new Error(reason));
  }
}
