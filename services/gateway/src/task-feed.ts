import type { TaskEvent } from '@spectest/contracts';
import type { TaskStore } from '@spectest/persistence';
import type { OpenStream, TaskEventStreams } from '@spectest/progress';
import type { Socket } from 'socket.io';
import type { SocketOutbox } from './socket-outbox';

/** Events read from the log per query while a subscriber catches up (the stream's own page size). */
const REPLAY_PAGE = 500;

/** One socket's subscription to one task: where it stands in the task's seq, and whether it takes live events yet. */
export class FeedMember {
  /** The last seq sent to (or queued for) the socket. */
  lastSeq: number;
  /** In the task's room: takes live events. Until then it reads the log up to where the feed stands. */
  live = false;
  closed = false;
  /** The feed it belongs to (set when added). */
  feed?: TaskFeed;

  constructor(
    readonly taskId: string,
    readonly socket: Socket,
    readonly outbox: SocketOutbox,
    afterSeq: number,
  ) {
    this.lastSeq = afterSeq;
  }
}

export interface TaskFeedDeps {
  streams: TaskEventStreams;
  store: TaskStore;
  /** Emits the event once to the task's room (the task id), leaving out the sockets in `except`. */
  broadcast(taskId: string, except: string[] | undefined, event: TaskEvent): void;
  /** A member got its terminal event, or its catch-up failed: the gateway forgets it (and calls remove). */
  memberDone(member: FeedMember): void;
  /** The feed has no members left, or it ended: the gateway stops handing it new members. */
  retired(feed: TaskFeed): void;
  warn(detail: Record<string, unknown>, msg: string): void;
}

/**
 * The live events of one task in this process, for every socket that watches it: one ordered, gap-free
 * stream of the log (TaskEventStreams: replay, then live, the seam and the lost-message poll), opened with
 * the first watcher and closed with the last, and each event encoded once and written to the task's room
 * (a Socket.IO broadcast), instead of one stream, one serial pump and one encoding per socket.
 *
 * A socket joins the room only once it has caught up: until then it reads the log, in pages, up to the
 * seq the feed has reached, and events the feed hands out meanwhile are in the log for it to read. A
 * socket whose outbox holds events or whose buffer is over its limit is left out of the broadcast and
 * gets the event through its outbox (so per-task order holds and slow-consumer coalescing still applies);
 * a socket that subscribed beyond the feed (its snapshot was newer than the feed's last live event) is
 * left out until the feed passes it.
 */
export class TaskFeed {
  private readonly members = new Set<FeedMember>();
  /** The last seq the feed handed out; every live member has it. */
  private lastSeq: number;
  private ended: boolean;
  private stream?: OpenStream;
  private retiredFlag = false;

  /**
   * @param startSeq where the feed's own stream starts (the snapshot's seq of the subscribe that opened it)
   * @param ended the task had already ended at startSeq: no stream, members only read the log
   */
  constructor(
    readonly taskId: string,
    startSeq: number,
    ended: boolean,
    private readonly deps: TaskFeedDeps,
  ) {
    this.lastSeq = startSeq;
    this.ended = ended;
  }

  /** Opens the stream; its broker subscription is registered before this returns its promise. */
  open(): Promise<void> {
    if (this.ended) return Promise.resolve();
    return this.deps.streams.open(this.taskId, this.lastSeq, (e) => this.onEvent(e)).then(
      (stream) => {
        if (this.retiredFlag) return stream.close();
        this.stream = stream;
      },
      (err) => {
        this.deps.warn({ taskId: this.taskId, err: String(err) }, 'could not open the task stream');
        this.retire();
        for (const m of [...this.members]) this.deps.memberDone(m);
      },
    );
  }

  get size(): number {
    return this.members.size;
  }

  /** A new subscriber: it reads the log from its afterSeq until it has caught up with the feed, then goes live. */
  add(member: FeedMember): void {
    member.feed = this;
    this.members.add(member);
    void this.catchUp(member);
  }

  remove(member: FeedMember): void {
    if (!this.members.delete(member)) return;
    member.closed = true;
    if (member.live) void member.socket.leave(this.taskId);
    if (this.members.size === 0) this.retire();
  }

  private async catchUp(m: FeedMember): Promise<void> {
    try {
      while (!m.closed) {
        if (m.lastSeq >= this.lastSeq) {
          if (this.ended) {
            // Its terminal event went out before it subscribed past it: nothing left to send.
            this.deps.memberDone(m);
          } else {
            m.live = true;
            void m.socket.join(this.taskId);
          }
          return;
        }
        // Paced by the socket: the next page only once it has taken what was sent.
        if (!m.outbox.clear) {
          await m.outbox.whenClear();
          continue;
        }
        const page = await this.deps.store.readEvents(this.taskId, m.lastSeq, REPLAY_PAGE, this.lastSeq);
        if (m.closed) return;
        if (page.length === 0 || page[0].seq !== m.lastSeq + 1) throw new Error(`the log has no seq ${m.lastSeq + 1} though the feed is at ${this.lastSeq}`);
        for (const e of page) {
          m.lastSeq = e.seq;
          m.outbox.push(e);
          if (e.type !== 'progress') return this.deps.memberDone(m);
        }
      }
    } catch (err) {
      this.deps.warn({ taskId: this.taskId, err: String(err) }, 'replaying the log to a subscriber failed');
      this.deps.memberDone(m);
    }
  }

  private onEvent(e: TaskEvent): void {
    if (this.retiredFlag && this.members.size === 0) return;
    this.lastSeq = e.seq;
    let except: string[] | undefined;
    let inRoom = 0;
    for (const m of this.members) {
      if (!m.live) continue;
      if (e.seq <= m.lastSeq) {
        (except ??= []).push(m.socket.id);
        continue;
      }
      m.lastSeq = e.seq;
      if (m.outbox.clear) {
        inRoom++;
        continue;
      }
      (except ??= []).push(m.socket.id);
      m.outbox.push(e);
    }
    if (inRoom > 0) this.deps.broadcast(this.taskId, except, e);
    if (e.type !== 'progress') {
      // The terminal event: nothing can follow. Live members are done; those still reading the log end
      // when they reach it.
      this.ended = true;
      this.retire();
      for (const m of [...this.members]) if (m.live) this.deps.memberDone(m);
    }
  }

  /** No new members from now on; the stream closes (members still catching up only need the log). */
  private retire(): void {
    if (this.retiredFlag) return;
    this.retiredFlag = true;
    this.deps.retired(this);
    const stream = this.stream;
    this.stream = undefined;
    stream?.close().catch((err) => this.deps.warn({ taskId: this.taskId, err: String(err) }, 'closing a task stream failed'));
  }
}
