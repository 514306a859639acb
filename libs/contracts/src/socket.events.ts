import type { SubscribeRequest, UnsubscribeRequest } from './socket.schemas';
import type { TaskEvent, TaskSnapshot } from './task.schemas';

// No zod here (the schemas are in socket.schemas.ts): the browser build of the SDK takes this file and
// stays free of a validator it does not use.
export const SOCKET_NAMESPACE = '/tasks';

export interface SubscribeError {
  /**
   * `not_found`, `invalid`: retrying does not help. `limit_exceeded`: a per-socket limit (tasks watched, or
   * subscribes per second when `retryAfterMs` is set). `unavailable`: the database is down; retry later.
   */
  code: 'not_found' | 'invalid' | 'limit_exceeded' | 'unavailable';
  message?: string;
  /** With `limit_exceeded` from the subscribe rate limit: when this socket may subscribe again. */
  retryAfterMs?: number;
}

export type SubscribeAck = { ok: true; snapshot: TaskSnapshot } | { ok: false; error: SubscribeError };

/**
 * The server stopped one subscription it had acknowledged, because it could not go on serving it (the
 * event log could not be read, after retries). Nothing more comes for the task on this socket until
 * the client subscribes again, with `afterSeq` = the last seq it has.
 */
export interface SubscriptionError {
  taskId: string;
  error: { code: 'unavailable'; message: string };
}

/** Events the server emits on /tasks: the event `type` is the Socket.IO event name. */
export interface ServerToClientEvents {
  progress: (event: TaskEvent) => void;
  completed: (event: TaskEvent) => void;
  failed: (event: TaskEvent) => void;
  cancelled: (event: TaskEvent) => void;
  subscription_error: (ended: SubscriptionError) => void;
}

export interface ClientToServerEvents {
  subscribe: (req: SubscribeRequest, ack: (res: SubscribeAck) => void) => void;
  unsubscribe: (req: UnsubscribeRequest, ack?: (res: { ok: boolean }) => void) => void;
}
