import type { TaskEvent } from '@spectest/contracts';
import type { FeedEnd, FeedSink, FeedSubscription, LiveGroup } from '@spectest/progress';
import type { Namespace, Socket } from 'socket.io';
import type { SocketOutbox } from './socket-outbox';

/**
 * One socket's subscription to one task, as a sink of the task's feed. Replayed events go through the
 * socket's outbox (paced: the next page of the log only once the socket has taken the last one); once
 * caught up the socket joins the task's room and takes live events from the room broadcast. It buffers
 * live events itself: when the socket cannot keep up, the outbox coalesces them.
 */
export class SocketTaskSink implements FeedSink {
  readonly buffersLive = true;
  subscription?: FeedSubscription;
  private inRoom = false;

  constructor(
    readonly taskId: string,
    readonly socket: Socket,
    readonly outbox: SocketOutbox,
    readonly group: RoomBroadcast,
    private readonly ended: (sink: SocketTaskSink, reason: FeedEnd) => void,
  ) {}

  deliver(event: TaskEvent): void {
    this.outbox.push(event);
  }

  hasRoom(): boolean {
    return this.outbox.clear;
  }

  whenRoom(): Promise<void> {
    return this.outbox.whenClear();
  }

  onLive(): void {
    this.inRoom = true;
    void this.socket.join(this.taskId);
  }

  end(reason: FeedEnd): void {
    this.ended(this, reason);
  }

  /** Stops the subscription and leaves the room (the gateway forgets the sink). */
  close(): void {
    this.subscription?.close();
    if (this.inRoom) void this.socket.leave(this.taskId);
    this.inRoom = false;
  }
}

/**
 * The live events of a task to its sockets in this process as one Socket.IO room broadcast (the packet
 * encoded once for every socket), leaving out the sockets whose outbox holds events or whose buffer is
 * over its limit: those get the event through their outbox, so per-task order and slow-consumer
 * coalescing hold. The room of a task holds exactly its live socket sinks (they join when they go live,
 * never leave the live stream, and leave the room when closed).
 */
export class RoomBroadcast implements LiveGroup {
  constructor(private readonly nsp: () => Namespace | undefined) {}

  deliver(event: TaskEvent, sinks: readonly FeedSink[]): void {
    let except: string[] | undefined;
    let inRoom = 0;
    for (const sink of sinks as readonly SocketTaskSink[]) {
      if (sink.outbox.clear) {
        inRoom++;
        continue;
      }
      (except ??= []).push(sink.socket.id);
      sink.outbox.push(event);
    }
    const nsp = this.nsp();
    if (inRoom === 0 || !nsp) return;
    (except ? nsp.to(event.taskId).except(except) : nsp.to(event.taskId)).emit(event.type, event);
  }
}
