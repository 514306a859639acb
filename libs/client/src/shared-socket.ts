import { ClientToServerEvents, EVENT_TYPES, SOCKET_NAMESPACE, ServerToClientEvents, SubscribeAck, SubscriptionError, TaskEvent } from '@spectest/contracts';
import { Socket, io } from 'socket.io-client';
import { AttemptOutcome, TransportContext, sleep } from './transport';
import type { TokenSource } from './watch.types';

type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

/** One task's socket attempt riding a shared socket: it ends (settles) once, with the attempt's outcome. */
interface Rider {
  readonly ctx: TransportContext;
  subscribing: boolean;
  settle(outcome: AttemptOutcome): void;
}

/**
 * One Socket.IO connection to one gateway, shared by every task watched in this process with the same
 * gateway URL and the same token source. Each task subscribes on it with its own last seq; events are
 * routed by taskId. The connection is opened by the first task and closed when the last one leaves; when
 * it drops, every task's attempt ends and each watch reconnects on its own backoff, landing on the
 * (new) shared socket again and resubscribing with its own last seq.
 */
class SharedSocket {
  private readonly riders = new Map<string, Rider>();
  private socket?: ClientSocket;
  private connected = false;
  private closed = false;
  /** Tasks it may carry; lowered to what it holds when the gateway answers limit_exceeded. */
  capacity: number;

  constructor(
    private readonly pool: SocketPool,
    readonly key: string,
    private readonly url: string,
    private readonly timeoutMs: number,
    capacity: number,
    token: Promise<string | undefined>,
  ) {
    this.capacity = capacity;
    token.then(
      (t) => this.open(t),
      (err) => this.dropAll({ kind: 'dropped', connected: false, detail: `token: ${String(err)}` }),
    );
  }

  /** Room for this task: below capacity and not carrying the same task already (its subscription is per socket). */
  takes(taskId: string): boolean {
    return !this.closed && this.riders.size < this.capacity && !this.riders.has(taskId);
  }

  get size(): number {
    return this.riders.size;
  }

  add(rider: Rider): void {
    const { taskId, signal } = rider.ctx;
    this.riders.set(taskId, rider);
    const onAbort = () => this.leave(rider, { kind: 'dropped', connected: this.connected, detail: 'aborted' }, true);
    if (signal.aborted) return onAbort();
    signal.addEventListener('abort', onAbort, { once: true });
    const settle = rider.settle;
    rider.settle = (outcome) => {
      signal.removeEventListener('abort', onAbort);
      settle(outcome);
    };
    if (this.connected) this.start(rider);
  }

  private open(token: string | undefined): void {
    if (this.closed) return;
    const socket: ClientSocket = io(`${this.url}${SOCKET_NAMESPACE}`, {
      auth: token === undefined ? {} : { token },
      // websocket only: no sticky sessions needed behind a load balancer (API docs, README).
      transports: ['websocket'],
      reconnection: false,
      forceNew: true,
      timeout: this.timeoutMs,
    });
    this.socket = socket;
    for (const name of EVENT_TYPES) socket.on(name, (e) => this.onEvent(e));
    socket.on('subscription_error', (ended) => this.onSubscriptionError(ended));
    socket.on('connect', () => {
      this.connected = true;
      for (const rider of [...this.riders.values()]) this.start(rider);
    });
    socket.on('connect_error', (err) =>
      this.dropAll(err.message === 'unauthorized' ? { kind: 'unauthorized' } : { kind: 'dropped', connected: false, detail: err.message }),
    );
    socket.on('disconnect', (reason) => this.dropAll({ kind: 'dropped', connected: true, detail: reason }));
  }

  private start(rider: Rider): void {
    rider.ctx.state('socket');
    void this.subscribe(rider);
  }

  private async subscribe(rider: Rider): Promise<void> {
    const socket = this.socket;
    if (!socket) return;
    rider.subscribing = true;
    let ack: SubscribeAck;
    try {
      ack = await socket.timeout(this.timeoutMs).emitWithAck('subscribe', { taskId: rider.ctx.taskId, afterSeq: rider.ctx.lastSeq });
    } catch {
      return this.leave(rider, { kind: 'dropped', connected: true, detail: 'no subscribe ack' }, true);
    }
    rider.subscribing = false;
    if (this.riders.get(rider.ctx.taskId) !== rider) return;
    if (!ack.ok) {
      const { code, message, retryAfterMs } = ack.error;
      if (code === 'limit_exceeded' && retryAfterMs !== undefined) {
        // Too many subscribes on this socket just now: the same socket, once the gateway says so, spread
        // out so that the tasks refused together do not all come back in the same instant.
        await sleep(retryAfterMs * (1 + Math.random()), rider.ctx.signal);
        if (this.riders.get(rider.ctx.taskId) === rider && !rider.ctx.signal.aborted) return this.subscribe(rider);
        return;
      }
      if (code === 'limit_exceeded') {
        // This socket is full on this gateway: the next attempt goes to another socket.
        this.capacity = Math.max(1, this.riders.size - 1);
        return this.leave(rider, { kind: 'dropped', connected: false, detail: message ?? code }, false);
      }
      // The gateway's database is down: try again with the watch's backoff.
      if (code === 'unavailable') return this.leave(rider, { kind: 'dropped', connected: false, detail: message ?? code }, false);
      return this.leave(rider, { kind: 'fatal', error: { code, message: message ?? code } }, false);
    }
    if (rider.ctx.acked(ack.snapshot)) this.leave(rider, { kind: 'ended' }, false);
  }

  private onEvent(event: TaskEvent): void {
    const rider = this.riders.get(event?.taskId);
    if (!rider) return;
    const accepted = rider.ctx.accept(event);
    if (accepted === 'ended') this.leave(rider, { kind: 'ended' }, false);
    // A seq jump (the gateway coalesced progress for a slow socket): read the missing ones from the log by
    // resubscribing after the last seq we have. Events arriving meanwhile are either the next ones (taken)
    // or beyond (dropped: the replay brings them).
    else if (accepted === 'gap' && !rider.subscribing) void this.subscribe(rider);
  }

  /**
   * The gateway ended a subscription it could not serve any more (its event log unreadable): the watch
   * subscribes again, on its backoff, after the last seq it has. Nothing of the old subscription follows.
   */
  private onSubscriptionError(ended: SubscriptionError): void {
    const rider = this.riders.get(ended?.taskId);
    if (!rider || rider.subscribing) return;
    this.leave(rider, { kind: 'dropped', connected: true, detail: ended.error?.message ?? 'subscription ended by the server' }, false);
  }

  /** One task leaves (unsubscribing when the server may still send for it); the last one closes the socket. */
  private leave(rider: Rider, outcome: AttemptOutcome, unsubscribe: boolean): void {
    const taskId = rider.ctx.taskId;
    if (this.riders.get(taskId) !== rider) return;
    this.riders.delete(taskId);
    if (unsubscribe && this.connected) this.socket?.emit('unsubscribe', { taskId });
    rider.settle(outcome);
    if (this.riders.size === 0) this.close();
  }

  private dropAll(outcome: AttemptOutcome): void {
    this.close();
    const riders = [...this.riders.values()];
    this.riders.clear();
    for (const rider of riders) rider.settle(outcome);
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    this.connected = false;
    this.pool.remove(this);
    this.socket?.removeAllListeners();
    this.socket?.disconnect();
  }
}

/** The shared sockets of this process, by gateway URL and token source. */
class SocketPool {
  private readonly sockets = new Map<string, SharedSocket[]>();
  private readonly tokenIds = new WeakMap<object, number>();
  private nextTokenId = 0;

  attempt(ctx: TransportContext, gatewayUrl: string, timeoutMs: number, maxTasksPerSocket: number): Promise<AttemptOutcome> {
    return new Promise((resolve) => {
      let settled = false;
      const rider: Rider = {
        ctx,
        subscribing: false,
        settle: (outcome) => {
          if (settled) return;
          settled = true;
          resolve(outcome);
        },
      };
      if (ctx.signal.aborted) return rider.settle({ kind: 'dropped', connected: false, detail: 'aborted' });
      const key = `${gatewayUrl}\n${this.tokenKey(ctx.tokenSource)}`;
      const list = this.sockets.get(key) ?? [];
      let shared = list.find((s) => s.takes(ctx.taskId));
      if (!shared) {
        shared = new SharedSocket(this, key, gatewayUrl, timeoutMs, maxTasksPerSocket, ctx.token());
        this.sockets.set(key, [...list, shared]);
      }
      shared.add(rider);
    });
  }

  remove(shared: SharedSocket): void {
    const list = this.sockets.get(shared.key)?.filter((s) => s !== shared) ?? [];
    if (list.length > 0) this.sockets.set(shared.key, list);
    else this.sockets.delete(shared.key);
  }

  /** Sockets open or opening (for tests). */
  get count(): number {
    let n = 0;
    for (const list of this.sockets.values()) n += list.length;
    return n;
  }

  /** A token function is told apart by identity: the same function shares a socket, another one does not. */
  private tokenKey(source: TokenSource | undefined): string {
    if (source === undefined) return '-';
    if (typeof source === 'string') return `s:${source}`;
    let id = this.tokenIds.get(source);
    if (id === undefined) this.tokenIds.set(source, (id = ++this.nextTokenId));
    return `f:${id}`;
  }
}

export const socketPool = new SocketPool();
