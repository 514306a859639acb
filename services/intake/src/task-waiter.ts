import { Injectable } from '@nestjs/common';
import { TaskSnapshot } from '@spectest/contracts';
import { TaskStore } from '@spectest/persistence';
import { TaskFeeds } from '@spectest/progress';

/**
 * `Prefer: wait=N`: a subscriber of the task's feed from the submitted snapshot on, which only waits for
 * the end (the feed brings the terminal event live, or from the log if its message was lost).
 */
@Injectable()
export class TaskWaiter {
  constructor(
    private readonly feeds: TaskFeeds,
    private readonly tasks: TaskStore,
  ) {}

  /** The final snapshot when the task ends within `seconds`; null when it does not (or its events cannot be read). */
  waitForEnd(snapshot: TaskSnapshot, seconds: number): Promise<TaskSnapshot | null> {
    return new Promise((resolve) => {
      let settled = false;
      const settle = (value: Promise<TaskSnapshot | null> | null) => {
        if (settled) return;
        settled = true;
        clearTimeout(timer);
        subscription.close();
        resolve(value);
      };
      const timer = setTimeout(() => settle(null), seconds * 1000);
      const subscription = this.feeds.subscribe(snapshot.taskId, snapshot.seq, snapshot, {
        deliver: () => undefined,
        hasRoom: () => true,
        whenRoom: () => Promise.resolve(),
        // The terminal event carries the result, but only the snapshot has everything (stages, warnings).
        end: (reason) =>
          queueMicrotask(() => settle(reason.kind === 'ended' ? this.tasks.get(snapshot.taskId).then((r) => r?.snapshot ?? null, () => null) : null)),
      });
    });
  }
}

/** Parses `Prefer: wait=N` (RFC 7240); null when absent. N is capped at 300 s. */
export function preferWaitSeconds(header: string | undefined): number | null {
  if (!header) return null;
  const m = /(?:^|[;,\s])wait\s*=\s*(\d+)/i.exec(header);
  return m ? Math.min(300, Number(m[1])) : null;
}
