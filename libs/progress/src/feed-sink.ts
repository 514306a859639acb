import type { TaskEvent, TaskStatus } from '@spectest/contracts';

/** Why a subscription stopped on its own (closing it yourself calls nothing). */
export type FeedEnd =
  /** The terminal event was delivered: nothing can follow. */
  | { kind: 'ended' }
  /** The event log could not be read, after retries: the subscriber should resume from its last seq later. */
  | { kind: 'failed'; error: { code: 'unavailable'; message: string } };

/**
 * Where one subscriber's events go: a socket, an SSE response, a waiter. The feed hands it each event
 * after its position once, in seq order, with no gap; it only tells the feed whether it has room.
 */
export interface FeedSink {
  deliver(event: TaskEvent): void;
  /**
   * Room for more now. A replay reads its next page of the log only then, so a resume is paced by the
   * reader. A sink without room at a live event leaves the live stream (unless it `buffersLive`) and reads
   * what it missed from the log once it has room again, so a slow reader costs no memory.
   */
  hasRoom(): boolean;
  /** Resolves once there may be room again (or the sink is gone). */
  whenRoom(): Promise<void>;
  /**
   * Takes every live event even without room, keeping or coalescing what it cannot send yet (a socket's
   * outbox): it never leaves the live stream. Required for a sink with a `group`.
   */
  readonly buffersLive?: boolean;
  /** Sinks of one group get each live event in one call (a Socket.IO room broadcast, encoded once). */
  readonly group?: LiveGroup;
  /** Caught up: from now on the sink gets live events (through its group, if it has one). */
  onLive?(): void;
  end(reason: FeedEnd): void;
}

/** Delivery of one live event to every live sink of the group, e.g. one broadcast to a room. */
export interface LiveGroup {
  deliver(event: TaskEvent, sinks: readonly FeedSink[]): void;
}

/** Where the log of a task stood when the subscriber looked (its snapshot). */
export interface FeedHead {
  seq: number;
  status: TaskStatus;
}

/** One subscriber's hold on a task's feed. */
export interface FeedSubscription {
  /** The last seq delivered to the sink. */
  readonly lastSeq: number;
  /** Stops delivery at once; the feed closes its broker subscription with its last subscriber. */
  close(): void;
}
