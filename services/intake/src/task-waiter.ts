import { Injectable } from '@nestjs/common';
import { TaskSnapshot, isTerminalStatus } from '@spectest/contracts';
import { TaskStore } from '@spectest/persistence';
import { TaskEventHub } from '@spectest/progress';

/** `Prefer: wait=N`: resolves with the final snapshot when the task ends within N seconds, else null. */
@Injectable()
export class TaskWaiter {
  constructor(
    private readonly hub: TaskEventHub,
    private readonly tasks: TaskStore,
  ) {}

  async waitForEnd(taskId: string, seconds: number): Promise<TaskSnapshot | null> {
    let wake: () => void = () => undefined;
    const ended = new Promise<void>((resolve) => (wake = resolve));
    const stop = await this.hub.watch(taskId, (e) => {
      if (e.type !== 'progress') wake();
    });
    const deadline = Date.now() + seconds * 1000;
    try {
      // The terminal event may have been published before we watched, and fan-out is best effort: poll too.
      while (Date.now() < deadline) {
        const record = await this.tasks.get(taskId);
        if (record && isTerminalStatus(record.snapshot.status)) return record.snapshot;
        let timer: NodeJS.Timeout | undefined;
        await Promise.race([ended, new Promise((r) => (timer = setTimeout(r, Math.min(1000, Math.max(0, deadline - Date.now())))))]);
        clearTimeout(timer);
      }
      const last = await this.tasks.get(taskId);
      return last && isTerminalStatus(last.snapshot.status) ? last.snapshot : null;
    } finally {
      await stop();
    }
  }
}

/** Parses `Prefer: wait=N` (RFC 7240); null when absent. N is capped at 300 s. */
export function preferWaitSeconds(header: string | undefined): number | null {
  if (!header) return null;
  const m = /(?:^|[;,\s])wait\s*=\s*(\d+)/i.exec(header);
  return m ? Math.min(300, Number(m[1])) : null;
}
