import type { TaskEvent } from '@spectest/contracts';
import type { FeedEnd, FeedSink } from '@spectest/progress';
import type { Response } from 'express';

/**
 * One SSE response as a sink of the task's feed: each event written as `id: <seq>`, `event: <type>`,
 * `data: <JSON>`. Paced by the response: while its socket buffer is full the feed gives it nothing (a
 * replay waits for `drain` before the next page; a live stream falls back to reading the log once the
 * reader catches up), so a slow reader holds back only itself and costs no memory here.
 */
export class SseResponseSink implements FeedSink {
  constructor(
    private readonly res: Response,
    private readonly onEnd: (reason: FeedEnd) => void,
  ) {}

  deliver(e: TaskEvent): void {
    this.res.write(`id: ${e.seq}\nevent: ${e.type}\ndata: ${JSON.stringify(e)}\n\n`);
  }

  hasRoom(): boolean {
    return !this.res.writableNeedDrain;
  }

  whenRoom(): Promise<void> {
    return new Promise<void>((resolve) => {
      const done = () => {
        this.res.off('drain', done);
        this.res.off('close', done);
        resolve();
      };
      this.res.once('drain', done);
      this.res.once('close', done); // a client gone mid-replay must not leave this wait pending
    });
  }

  end(reason: FeedEnd): void {
    this.onEnd(reason);
  }
}
