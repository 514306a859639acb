import { TaskEvent, TaskEventSchema, subjects } from '@spectest/contracts';
import type { Messaging, Unsubscribe } from '@spectest/messaging';

type Listener = (event: TaskEvent) => void;

interface Entry {
  listeners: Set<Listener>;
  ready: Promise<Unsubscribe>;
}

/**
 * Live events of the tasks someone in this process watches: one broker subscription per task,
 * opened on the first watcher and closed with the last, whatever the number of sockets.
 */
export class TaskEventHub {
  private readonly entries = new Map<string, Entry>();

  constructor(
    private readonly messaging: Messaging,
    private readonly onInvalid: (subject: string, detail: string) => void = () => undefined,
  ) {}

  /** Resolves once the broker subscription is active, so nothing published after it is missed. */
  async watch(taskId: string, listener: Listener): Promise<() => Promise<void>> {
    let entry = this.entries.get(taskId);
    if (!entry) {
      const listeners = new Set<Listener>();
      const subject = subjects.taskEvents(taskId);
      const ready = this.messaging.subscribe(subject, (payload) => {
        const parsed = TaskEventSchema.safeParse(payload);
        if (!parsed.success || parsed.data.taskId !== taskId) {
          this.onInvalid(subject, parsed.success ? 'taskId mismatch' : parsed.error.message);
          return;
        }
        for (const l of [...listeners]) l(parsed.data);
      });
      entry = { listeners, ready };
      this.entries.set(taskId, entry);
      ready.catch(() => this.entries.delete(taskId));
    }
    entry.listeners.add(listener);
    await entry.ready;
    const current = entry;
    return async () => {
      if (!current.listeners.delete(listener) || current.listeners.size > 0) return;
      if (this.entries.get(taskId) === current) this.entries.delete(taskId);
      const unsubscribe = await current.ready;
      await unsubscribe();
    };
  }

  /** Number of tasks with an open broker subscription (for metrics and tests). */
  get watchedTasks(): number {
    return this.entries.size;
  }
}
