import { Injectable, Logger, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { TaskDispatcher } from './task-dispatcher';

/** How often the outbox looks for recorded dispatches that were not published. */
export const OUTBOX_INTERVAL_MS = 1_000;
/** A dispatch younger than this is left to the process that recorded it (it publishes right after). */
export const OUTBOX_GRACE_MS = 2_000;

/**
 * Publishes dispatches that were recorded but not published: the broker was down when a task was
 * submitted or a stage handed off, or the process died in between. Runs in every process that
 * dispatches; the dedup id makes concurrent publishes of one dispatch store one message.
 */
@Injectable()
export class DispatchOutbox implements OnApplicationBootstrap, OnApplicationShutdown {
  private readonly logger = new Logger('DispatchOutbox');
  private timer?: NodeJS.Timeout;
  private running?: Promise<void>;
  private failing = false;

  constructor(private readonly dispatcher: TaskDispatcher) {}

  onApplicationBootstrap(): void {
    this.timer = setInterval(() => {
      this.running ??= this.dispatcher
        .publishPending(OUTBOX_GRACE_MS)
        .then((published) => {
          if (published || this.failing) this.logger.log({ published }, 'published pending dispatches');
          this.failing = false;
        })
        .catch((err) => {
          if (!this.failing) this.logger.warn({ err: String(err) }, 'could not publish pending dispatches; will retry');
          this.failing = true;
        })
        .finally(() => (this.running = undefined));
    }, OUTBOX_INTERVAL_MS);
    this.timer.unref();
  }

  async onApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }
}
