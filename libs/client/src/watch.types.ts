import type { TaskEvent, TaskSnapshot, TaskStatus } from '@spectest/contracts';
import type { BackoffOptions } from './backoff';

/** How events reach the client, in order of preference. */
export type WatchTransport = 'socket' | 'sse' | 'polling';

export type WatchState = WatchTransport | 'reconnecting' | 'ended' | 'closed';

/** A refusal that retrying cannot fix. */
export interface WatchError {
  code: 'not_found' | 'unauthorized' | 'invalid';
  message: string;
}

/** How a watch finished: its terminal event (socket, SSE) or only the terminal snapshot (REST polling). */
export type WatchResult =
  | { kind: 'ended'; status: TaskStatus; event?: TaskEvent; snapshot?: TaskSnapshot }
  | { kind: 'closed' }
  | { kind: 'error'; error: WatchError };

export interface WatchHandlers {
  /** Every event exactly once, in seq order, with no gap (gaps are filled before the next event is handed out). */
  onEvent?: (event: TaskEvent) => void;
  /** The snapshot of each (re)subscribe, and of each REST poll while polling is the transport. */
  onSnapshot?: (snapshot: TaskSnapshot) => void;
  /** The task ended; called once, after the terminal event's onEvent. */
  onEnd?: (result: Extract<WatchResult, { kind: 'ended' }>) => void;
  /** The watch stopped on a refusal that reconnecting cannot fix (unknown task, bad token, afterSeq beyond the log). */
  onError?: (error: WatchError) => void;
  /** The transport now carrying the watch, `reconnecting` between attempts. */
  onState?: (state: WatchState) => void;
}

export type TokenSource = string | (() => string | Promise<string>);

export interface WatchOptions {
  /** Gateway base URLs (e.g. http://gw-1:3001). Each reconnect goes to the next one, round robin. */
  gatewayUrls: string[];
  /** Intake base URL (e.g. http://api:3000) for the SSE and REST polling fallbacks; without it, socket only. */
  apiUrl?: string;
  /** Bearer token; a function is called before every connection (of the shared socket), so a refreshed token is picked up. */
  token?: TokenSource;
  /** Resume after this seq (the last one the caller has); 0 = from the first event. */
  afterSeq?: number;
  /** Transports to use, in order of preference (default socket, sse, polling; sse and polling need apiUrl). */
  transports?: WatchTransport[];
  backoff?: BackoffOptions;
  /** Consecutive failed connection attempts on one transport before falling back to the next (default 3). */
  failuresBeforeFallback?: number;
  /** While on a fallback, try the preferred transport again after this long (default 30 s). */
  retryPreferredAfterMs?: number;
  /** REST polling interval (default 2 s). */
  pollIntervalMs?: number;
  /** Socket connect and subscribe-ack timeout (default 10 s). */
  timeoutMs?: number;
  /**
   * Watches in one process with the same gateway URL and the same `token` (string, or the same function)
   * share one socket; this many tasks at most ride one socket (default 100, the gateway's default
   * MAX_SUBSCRIPTIONS_PER_SOCKET), then another one opens.
   */
  maxTasksPerSocket?: number;
}

/** A running watch. */
export interface TaskWatch {
  /** The last seq handed to onEvent. */
  readonly lastSeq: number;
  readonly state: WatchState;
  /** Settles once: ended, closed or error. Never rejects. */
  readonly done: Promise<WatchResult>;
  close(): void;
}
