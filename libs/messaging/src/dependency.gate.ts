import type { WorkGate } from './messaging.types';

export interface DependencyGateOptions {
  /** Throws while a dependency is down (the readiness checks of the process). */
  probe: () => Promise<void>;
  /** Pause between checks while closed (default 1 s). */
  retryMs?: number;
  /** Told when the gate closes (with the probe's error) and when it opens again. */
  onChange?: (open: boolean, error?: unknown) => void;
}

/**
 * A WorkGate over a probe. It is open until someone suspects an outage; then it checks, and while the
 * check fails it stays closed and checks again every `retryMs`. No probing while open: a healthy
 * worker pays nothing, and the first failed query or pull is what closes it.
 */
export class DependencyGate implements WorkGate {
  private open = true;
  private checking?: Promise<void>;
  private waiters: Array<() => void> = [];
  private stopped = false;
  private readonly retryMs: number;

  constructor(private readonly options: DependencyGateOptions) {
    this.retryMs = options.retryMs ?? 1_000;
  }

  isOpen(): boolean {
    return this.open;
  }

  whenOpen(signal?: AbortSignal): Promise<void> {
    if (this.open || this.stopped || signal?.aborted) return Promise.resolve();
    return new Promise((resolve) => {
      const done = () => {
        signal?.removeEventListener('abort', done);
        resolve();
      };
      this.waiters.push(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }

  suspect(): void {
    if (this.stopped) return;
    this.checking ??= this.check().finally(() => (this.checking = undefined));
  }

  /** Opens for good and wakes every waiter (the process is stopping). */
  stop(): void {
    this.stopped = true;
    this.setOpen(true);
  }

  private async check(): Promise<void> {
    for (;;) {
      try {
        await this.options.probe();
        this.setOpen(true);
        return;
      } catch (error) {
        if (this.open) {
          this.open = false;
          this.options.onChange?.(false, error);
        }
      }
      if (this.stopped) return;
      await new Promise((resolve) => setTimeout(resolve, this.retryMs).unref());
    }
  }

  private setOpen(open: boolean): void {
    const was = this.open;
    this.open = open;
    if (!open) return;
    if (!was) this.options.onChange?.(true);
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }
}
