import { TaskEvent, TaskSnapshot, isTerminalEvent, isTerminalStatus } from '@spectest/contracts';
import { backoffDelay } from './backoff';
import { runPollingAttempt } from './polling.transport';
import { runSocketAttempt } from './socket.transport';
import { runSseAttempt } from './sse.transport';
import { Accepted, AttemptOutcome, TransportContext, sleep } from './transport';
import { TaskWatch, WatchError, WatchHandlers, WatchOptions, WatchResult, WatchState, WatchTransport } from './watch.types';

const trimSlash = (url: string) => url.replace(/\/+$/, '');

/**
 * Watch one task's events until it ends: every event once, in seq order, across any number of
 * disconnects, gateway replicas and restarts. The resume point is the seq, kept here; the server keeps
 * the log, so a client back after a minute, an hour or a server restart gets exactly what it missed.
 */
export function watchTask(taskId: string, handlers: WatchHandlers, options: WatchOptions): TaskWatch {
  const run = new WatchRun(taskId, handlers, options);
  void run.start();
  return run.handle;
}

class WatchRun {
  private lastSeq: number;
  private state: WatchState = 'reconnecting';
  private result?: WatchResult;
  private readonly stop = new AbortController();
  private resolveDone: (r: WatchResult) => void = () => undefined;
  private readonly done = new Promise<WatchResult>((r) => (this.resolveDone = r));
  private readonly transports: WatchTransport[];
  private nextGateway = 0;
  private lastPolledSeq = -1;

  readonly handle: TaskWatch;

  constructor(
    private readonly taskId: string,
    private readonly handlers: WatchHandlers,
    private readonly options: WatchOptions,
  ) {
    this.lastSeq = options.afterSeq ?? 0;
    const wanted = options.transports ?? ['socket', 'sse', 'polling'];
    // A transport without the URL it needs is left out rather than failing at every attempt.
    this.transports = wanted.filter((t) => (t === 'socket' ? options.gatewayUrls.length > 0 : options.apiUrl !== undefined));
    const lastSeq = () => this.lastSeq;
    const state = () => this.state;
    this.handle = {
      get lastSeq() {
        return lastSeq();
      },
      get state() {
        return state();
      },
      done: this.done,
      close: () => this.finish({ kind: 'closed' }),
    };
  }

  async start(): Promise<void> {
    if (this.transports.length === 0) {
      return this.finish({ kind: 'error', error: { code: 'invalid', message: 'no usable transport: give gatewayUrls and/or apiUrl' } });
    }
    const failuresBeforeFallback = this.options.failuresBeforeFallback ?? 3;
    let index = 0;
    let failures = 0;
    let attempt = 0;
    let refusals = 0;
    while (!this.result) {
      const outcome = await this.attempt(this.transports[index], index > 0);
      if (this.result) return;
      if (outcome === 'yield') {
        index = 0;
        failures = 0;
        attempt = 0;
        continue;
      }
      if (outcome.kind === 'fatal') return this.finish({ kind: 'error', error: outcome.error });
      if (outcome.kind === 'ended') return;
      if (outcome.kind === 'unauthorized') {
        // A fixed token will not get better; a token function may hand out a refreshed one.
        if (typeof this.options.token !== 'function' || ++refusals >= failuresBeforeFallback) {
          return this.finish({ kind: 'error', error: { code: 'unauthorized', message: 'the server refused the token' } });
        }
      } else if (outcome.connected) {
        failures = 0;
        attempt = 0;
        refusals = 0;
      } else if (++failures >= failuresBeforeFallback && index < this.transports.length - 1) {
        index++;
        failures = 0;
        attempt = 0;
        continue;
      }
      this.setState('reconnecting');
      await sleep(backoffDelay(attempt++, this.options.backoff), this.stop.signal);
    }
  }

  /** One attempt of one transport; a fallback gives way after retryPreferredAfterMs ('yield'). */
  private async attempt(kind: WatchTransport, isFallback: boolean): Promise<AttemptOutcome | 'yield'> {
    const attemptCtl = new AbortController();
    const onStop = () => attemptCtl.abort();
    this.stop.signal.addEventListener('abort', onStop, { once: true });
    let yielded = false;
    const yieldTimer = isFallback
      ? setTimeout(() => {
          yielded = true;
          attemptCtl.abort();
        }, this.options.retryPreferredAfterMs ?? 30_000)
      : undefined;
    const ctx = this.context(attemptCtl.signal);
    const timeoutMs = this.options.timeoutMs ?? 10_000;
    try {
      const outcome =
        kind === 'socket'
          ? await runSocketAttempt(
              ctx,
              trimSlash(this.options.gatewayUrls[this.nextGateway++ % this.options.gatewayUrls.length]),
              timeoutMs,
              this.options.maxTasksPerSocket ?? 100,
            )
          : kind === 'sse'
            ? await runSseAttempt(ctx, trimSlash(this.options.apiUrl!))
            : await runPollingAttempt(ctx, trimSlash(this.options.apiUrl!), this.options.pollIntervalMs ?? 2_000);
      return yielded && outcome.kind === 'dropped' ? 'yield' : outcome;
    } catch (err) {
      return { kind: 'dropped', connected: false, detail: String(err) };
    } finally {
      clearTimeout(yieldTimer);
      this.stop.signal.removeEventListener('abort', onStop);
    }
  }

  private context(signal: AbortSignal): TransportContext {
    const lastSeq = () => this.lastSeq;
    return {
      taskId: this.taskId,
      get lastSeq() {
        return lastSeq();
      },
      signal,
      token: async () => {
        const t = this.options.token;
        return typeof t === 'function' ? t() : t;
      },
      tokenSource: this.options.token,
      accept: (event) => this.accept(event),
      acked: (snapshot) => {
        this.call(() => this.handlers.onSnapshot?.(snapshot));
        // Ended, and its terminal event already handed out (or skipped by the caller's afterSeq).
        if (isTerminalStatus(snapshot.status) && snapshot.seq <= this.lastSeq) {
          this.finish({ kind: 'ended', status: snapshot.status, snapshot });
          return true;
        }
        return false;
      },
      polled: (snapshot) => this.polled(snapshot),
      state: (s) => this.setState(s),
    };
  }

  private accept(event: TaskEvent): Accepted {
    if (this.result) return 'ended';
    if (event.taskId !== this.taskId || event.seq <= this.lastSeq) return 'duplicate';
    if (event.seq > this.lastSeq + 1) return 'gap';
    this.lastSeq = event.seq;
    this.call(() => this.handlers.onEvent?.(event));
    if (isTerminalEvent(event)) {
      this.finish({ kind: 'ended', status: event.status, event });
      return 'ended';
    }
    return 'delivered';
  }

  private polled(snapshot: TaskSnapshot): boolean {
    if (snapshot.seq !== this.lastPolledSeq) {
      this.lastPolledSeq = snapshot.seq;
      this.call(() => this.handlers.onSnapshot?.(snapshot));
    }
    if (!isTerminalStatus(snapshot.status)) return false;
    this.finish({ kind: 'ended', status: snapshot.status, snapshot });
    return true;
  }

  private setState(state: WatchState): void {
    if (this.result || state === this.state) return;
    this.state = state;
    this.call(() => this.handlers.onState?.(state));
  }

  private finish(result: WatchResult): void {
    if (this.result) return;
    this.result = result;
    this.state = result.kind === 'ended' ? 'ended' : 'closed';
    this.stop.abort();
    if (result.kind === 'ended') this.call(() => this.handlers.onEnd?.(result));
    if (result.kind === 'error') this.call(() => this.handlers.onError?.(result.error as WatchError));
    this.call(() => this.handlers.onState?.(this.state));
    this.resolveDone(result);
  }

  /** A throwing handler is the caller's bug; it must not tear down the transport. */
  private call(fn: () => void): void {
    try {
      fn();
    } catch (err) {
      queueMicrotask(() => {
        throw err;
      });
    }
  }
}
