import { WorkMessage, WorkStage } from '@spectest/contracts';
import type { Messaging } from '@spectest/messaging';
import { Dispatch, DispatchStore } from '@spectest/persistence';

/** The broker id of a dispatch's message: any number of publishes of one dispatch are stored once. */
export const dispatchDedupId = (d: Dispatch): string => `${d.taskId}:${d.stage}:${d.generation}`;

/**
 * Publishes dispatches: the task's work message with its generation, under the dispatch's dedup id,
 * then marks it published. A dispatch whose publish failed stays recorded, and `publishPending`
 * (the outbox) publishes it later, so a broker outage delays a task, never loses it.
 */
export class TaskDispatcher {
  constructor(
    private readonly store: DispatchStore,
    private readonly messaging: Messaging,
  ) {}

  async publish(dispatch: Dispatch, timeoutMs?: number): Promise<void> {
    const message: WorkMessage = { taskId: dispatch.taskId, generation: dispatch.generation };
    await this.messaging.publishWork(dispatch.stage as WorkStage, message, { dedupId: dispatchDedupId(dispatch), timeoutMs });
    await this.store.markPublished(dispatch);
  }

  /** Publishes the dispatches recorded more than `graceMs` ago and not published yet; returns how many. */
  async publishPending(graceMs: number, now = new Date()): Promise<number> {
    const pending = await this.store.findUnpublished(new Date(now.getTime() - graceMs));
    for (const dispatch of pending) await this.publish(dispatch);
    return pending.length;
  }
}
