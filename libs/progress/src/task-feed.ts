import { TaskEvent, isTerminalEvent, isTerminalStatus } from '@spectest/contracts';
import { FeedEnd, FeedHead, FeedSink, FeedSubscription, LiveGroup } from './feed-sink';
import { FeedLogReader } from './feed-log-reader';
import { TaskEventHub } from './task-event.hub';

/**
 * replaying: reads the log itself, page by page, up to where the feed stands;
 * ahead: subscribed beyond the feed (its snapshot was newer than the feed's last event), waits for the feed;
 * live: at the feed's position, gets each event as the feed hands it out;
 * done: ended or closed.
 */
type MemberState = 'replaying' | 'ahead' | 'live' | 'done';

class Member implements FeedSubscription {
  state: MemberState = 'replaying';
  constructor(
    readonly sink: FeedSink,
    public lastSeq: number,
    private readonly feed: TaskFeed,
  ) {}

  close(): void {
    this.feed.remove(this);
  }
}

export interface TaskFeedDeps {
  hub: TaskEventHub;
  reader: FeedLogReader;
  /** The feed takes no new members from now on (no members left, it ended, or it failed). */
  retired(feed: TaskFeed): void;
  warn(detail: Record<string, unknown>, msg: string): void;
}

const failure = (err: unknown): FeedEnd => ({ kind: 'failed', error: { code: 'unavailable', message: String((err as Error)?.message ?? err) } });

/**
 * The events of one task for everyone in this process who watches it: one broker subscription (opened
 * with the first member, closed with the last or after the terminal event) and one ordered, gap-free
 * position in the log. The broker subscription is active before the feed reads the log after its start,
 * so nothing published in between is missed; live events go through one serial pump, are skipped when
 * already handed out, and a live event that skips ahead makes the pump read the missing ones from the log
 * first (TaskFeeds' poll does the same for a feed whose live messages stopped coming).
 *
 * A member behind the feed reads the log itself, in pages paced by its sink, up to where the feed stands,
 * then goes live; events the feed hands out meanwhile are in the log for it to read.
 */
export class TaskFeed {
  private readonly members = new Set<Member>();
  /** The last seq the feed handed out; every live member has it. */
  private lastSeq: number;
  private endedFlag: boolean;
  private retiredFlag = false;
  private opened = false;
  private stopLive?: () => Promise<void>;
  private pump: Promise<void> = Promise.resolve();
  /** When the last live message arrived (the poll checks the log of feeds quiet for a period). */
  lastLiveAt = 0;

  /** @param head where the log stood when the first member looked; an ended task gets a feed that only reads the log. */
  constructor(
    readonly taskId: string,
    head: FeedHead,
    private readonly deps: TaskFeedDeps,
  ) {
    this.lastSeq = head.seq;
    this.endedFlag = isTerminalStatus(head.status);
  }

  get position(): number {
    return this.lastSeq;
  }

  get ended(): boolean {
    return this.endedFlag;
  }

  /** Live, and worth a look at the log when its messages stop coming. */
  get pollable(): boolean {
    return this.opened && !this.endedFlag && !this.retiredFlag;
  }

  get size(): number {
    return this.members.size;
  }

  open(): void {
    if (this.endedFlag) return;
    this.deps.hub.watch(this.taskId, (e) => this.onLive(e)).then(
      (stop) => {
        if (this.retiredFlag) return void stop().catch((err) => this.deps.warn({ taskId: this.taskId, err: String(err) }, 'closing a task subscription failed'));
        this.stopLive = stop;
        this.opened = true;
        this.catchUp();
      },
      (err) => this.fail(err),
    );
  }

  add(sink: FeedSink, afterSeq: number): FeedSubscription {
    const member = new Member(sink, afterSeq, this);
    this.members.add(member);
    void this.replay(member);
    return member;
  }

  remove(member: Member): void {
    if (!this.members.delete(member)) return;
    member.state = 'done';
    if (this.members.size === 0) this.retire();
  }

  /** Reads what the log has after the feed's position (queued behind the live events in the pump). */
  catchUp(): void {
    this.enqueue(() => this.fill());
  }

  private finish(member: Member, reason: FeedEnd): void {
    if (!this.members.has(member)) return;
    this.remove(member);
    member.sink.end(reason);
  }

  private async replay(m: Member): Promise<void> {
    try {
      while (m.state === 'replaying') {
        if (m.lastSeq >= this.lastSeq) {
          // It has the terminal event already (or subscribed past it): nothing can follow.
          if (this.endedFlag) return this.finish(m, { kind: 'ended' });
          if (m.lastSeq > this.lastSeq) {
            m.state = 'ahead';
            return;
          }
          m.state = 'live';
          m.sink.onLive?.();
          return;
        }
        if (!m.sink.hasRoom()) {
          await m.sink.whenRoom();
          continue;
        }
        const upto = this.lastSeq;
        const page = await this.deps.reader.read(this.taskId, m.lastSeq, { uptoSeq: upto, gone: () => m.state !== 'replaying' });
        if (m.state !== 'replaying') return;
        if (page.length === 0 || page[0].seq !== m.lastSeq + 1) throw new Error(`the log of task ${this.taskId} has no seq ${m.lastSeq + 1} though its feed is at ${upto}`);
        for (const e of page) {
          m.lastSeq = e.seq;
          m.sink.deliver(e);
          if (m.state !== 'replaying') return;
          if (isTerminalEvent(e)) return this.finish(m, { kind: 'ended' });
        }
      }
    } catch (err) {
      this.finish(m, failure(err));
    }
  }

  private onLive(e: TaskEvent): void {
    this.lastLiveAt = Date.now();
    this.enqueue(async () => {
      if (e.seq <= this.lastSeq) return;
      if (e.seq > this.lastSeq + 1) await this.fill(e.seq - 1);
      this.hand(e);
    });
  }

  private enqueue(work: () => Promise<void>): void {
    this.pump = this.pump.then(work).catch((err) => this.fail(err));
  }

  private async fill(uptoSeq?: number): Promise<void> {
    while (!this.retiredFlag && !this.endedFlag) {
      const page = await this.deps.reader.read(this.taskId, this.lastSeq, { uptoSeq, gone: () => this.retiredFlag });
      for (const e of page) this.hand(e);
      if (page.length < this.deps.reader.pageSize) return;
    }
  }

  /** The next event of the task: to every live member, and the members waiting for this seq go live. */
  private hand(e: TaskEvent): void {
    if (this.endedFlag || this.retiredFlag || e.seq !== this.lastSeq + 1) return;
    this.lastSeq = e.seq;
    const terminal = isTerminalEvent(e);
    if (terminal) this.endedFlag = true;
    let grouped: Map<LiveGroup, FeedSink[]> | undefined;
    const ending: Member[] = [];
    for (const m of this.members) {
      if (m.state === 'ahead') {
        if (terminal) ending.push(m);
        else if (m.lastSeq === e.seq) {
          m.state = 'live';
          m.sink.onLive?.();
        }
        continue;
      }
      if (m.state !== 'live') continue;
      if (!m.sink.buffersLive && !m.sink.hasRoom()) {
        // A slow reader: off the live stream, it reads this event and the next ones from the log when it has room.
        m.state = 'replaying';
        void this.replay(m);
        continue;
      }
      m.lastSeq = e.seq;
      const group = m.sink.group;
      if (group) {
        grouped ??= new Map();
        const sinks = grouped.get(group);
        if (sinks) sinks.push(m.sink);
        else grouped.set(group, [m.sink]);
      } else {
        m.sink.deliver(e);
      }
      if (terminal) ending.push(m);
    }
    if (grouped) for (const [group, sinks] of grouped) group.deliver(e, sinks);
    if (!terminal) return;
    // Nothing can follow: live members are done; those still reading the log end when they reach it.
    this.retire();
    for (const m of ending) this.finish(m, { kind: 'ended' });
  }

  /** The log cannot be read (or live events cannot be had): every member is told, and the feed goes. */
  private fail(err: unknown): void {
    this.deps.warn({ taskId: this.taskId, err: String(err) }, 'a task feed failed; its subscribers are told');
    this.retire();
    const end = failure(err);
    for (const m of [...this.members]) this.finish(m, end);
  }

  /** No new members from now on; the broker subscription closes (members still replaying only need the log). */
  private retire(): void {
    if (this.retiredFlag) return;
    this.retiredFlag = true;
    this.deps.retired(this);
    const stop = this.stopLive;
    this.stopLive = undefined;
    stop?.().catch((err) => this.deps.warn({ taskId: this.taskId, err: String(err) }, 'closing a task subscription failed'));
  }
}
