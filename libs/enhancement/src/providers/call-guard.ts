import { ModelCallError, PROVIDER_DEFAULTS } from './model-provider';

type Cause = 'aborted' | 'timeout' | 'idle';

/**
 * One model call's lifetime: the caller's signal, a whole-call timeout and an idle timeout merged into one
 * AbortSignal for fetch. `dispose()` removes every timer and listener, so nothing outlives the call.
 */
export class CallGuard {
  private readonly controller = new AbortController();
  private cause: Cause | null = null;
  private readonly totalTimer: NodeJS.Timeout;
  private readonly idleTimer: NodeJS.Timeout;
  private readonly onExternalAbort = () => this.fire('aborted');

  constructor(
    private readonly external: AbortSignal,
    private readonly timeoutMs: number = PROVIDER_DEFAULTS.timeoutMs,
    private readonly idleTimeoutMs: number = PROVIDER_DEFAULTS.idleTimeoutMs,
  ) {
    this.totalTimer = setTimeout(() => this.fire('timeout'), timeoutMs);
    this.idleTimer = setTimeout(() => this.fire('idle'), idleTimeoutMs);
    if (external.aborted) this.fire('aborted');
    else external.addEventListener('abort', this.onExternalAbort, { once: true });
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  /** Bytes arrived: the stream is alive. */
  touch(): void {
    if (!this.cause) this.idleTimer.refresh();
  }

  /** Waits, or rejects as soon as the call is aborted or times out. */
  sleep(ms: number): Promise<void> {
    return new Promise((resolve, reject) => {
      if (this.signal.aborted) return reject(this.toError(undefined));
      const done = () => {
        clearTimeout(timer);
        this.signal.removeEventListener('abort', done);
        if (this.signal.aborted) reject(this.toError(undefined));
        else resolve();
      };
      const timer = setTimeout(done, ms);
      this.signal.addEventListener('abort', done, { once: true });
    });
  }

  /** Whatever was thrown during the call, as the one error type providers reject with. */
  toError(e: unknown): ModelCallError {
    if (this.cause === 'aborted') return new ModelCallError('model_aborted', 'the model call was aborted');
    if (this.cause === 'timeout') return new ModelCallError('model_timeout', `no complete answer within ${this.timeoutMs} ms`);
    if (this.cause === 'idle') return new ModelCallError('model_timeout', `the model stream stalled for ${this.idleTimeoutMs} ms`);
    if (e instanceof ModelCallError) return e;
    return new ModelCallError('model_unreachable', `model server unreachable: ${describe(e)}`);
  }

  dispose(): void {
    clearTimeout(this.totalTimer);
    clearTimeout(this.idleTimer);
    this.external.removeEventListener('abort', this.onExternalAbort);
  }

  private fire(cause: Cause): void {
    if (this.cause) return;
    this.cause = cause;
    clearTimeout(this.totalTimer);
    clearTimeout(this.idleTimer);
    this.controller.abort(new Error(cause));
  }
}

/** fetch hides the socket error in `cause`; that is the part worth showing. */
function describe(e: unknown): string {
  if (e instanceof Error) {
    const cause = (e as Error & { cause?: unknown }).cause;
    const inner = cause instanceof Error ? `: ${(cause as Error & { code?: string }).code ?? cause.message}` : '';
    return `${e.message}${inner}`;
  }
  return String(e);
}
