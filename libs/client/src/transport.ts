import type { TaskEvent, TaskSnapshot } from '@spectest/contracts';
import type { TokenSource, WatchError, WatchState } from './watch.types';

/** What a transport did with an event handed to the watch. */
export type Accepted = 'delivered' | 'duplicate' | 'gap' | 'ended';

/** How one connection attempt of a transport ended. */
export type AttemptOutcome =
  /** `connected`: it got through before it dropped, so the next attempt starts the backoff afresh. */
  | { kind: 'dropped'; connected: boolean; detail: string }
  | { kind: 'unauthorized' }
  | { kind: 'fatal'; error: WatchError }
  | { kind: 'ended' };

/** The watch as one attempt of one transport sees it. */
export interface TransportContext {
  readonly taskId: string;
  readonly lastSeq: number;
  /** Aborted when the watch ends or closes, or when this attempt must give way (back to the preferred transport). */
  readonly signal: AbortSignal;
  token(): Promise<string | undefined>;
  /** The watch's token option itself: watches with the same one (string, or the same function) share a socket. */
  readonly tokenSource: TokenSource | undefined;
  /** Dedup by seq: hands the event out only when it is the next one. */
  accept(event: TaskEvent): Accepted;
  /** A subscribe ack's snapshot; true when it proves the task ended and nothing is left to deliver. */
  acked(snapshot: TaskSnapshot): boolean;
  /** A polled snapshot; true when the task ended (the watch then ends with that snapshot). */
  polled(snapshot: TaskSnapshot): boolean;
  state(state: WatchState): void;
}

/** Resolves after `ms`, or at once when the signal aborts. */
export function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const done = () => {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    };
    const timer = setTimeout(done, ms);
    signal.addEventListener('abort', done, { once: true });
  });
}

export function bearer(token: string | undefined): Record<string, string> {
  return token === undefined ? {} : { authorization: `Bearer ${token}` };
}
