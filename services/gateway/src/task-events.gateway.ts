import { Inject, Logger } from '@nestjs/common';
import { OnGatewayInit, WebSocketGateway } from '@nestjs/websockets';
import { Principal, TOKEN_VERIFIER, TokenExpiry, TokenVerifier } from '@spectest/auth';
import {
  ClientToServerEvents,
  SOCKET_NAMESPACE,
  ServerToClientEvents,
  SubscribeAck,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
  isTerminalStatus,
} from '@spectest/contracts';
import { TaskRecord, TaskStore } from '@spectest/persistence';
import { TokenBucket, metrics, originPolicyFromEnv, withDeadline } from '@spectest/platform';
import { FeedEnd, TaskFeeds } from '@spectest/progress';
import type { Namespace, Socket } from 'socket.io';
import { ConnectionLimiter } from './connection-limiter';
import { GATEWAY_CONFIG, GatewayConfig } from './gateway.config';
import { SocketOutbox } from './socket-outbox';
import { applySocketOriginPolicy } from './socket-origin';
import { RoomBroadcast, SocketTaskSink } from './socket-task-sink';

/**
 * What the gateway keeps per socket. An idle socket (connected, nothing watched) holds only the first
 * three: the watch state is made with the first subscribe.
 */
interface SocketData {
  principal: Principal;
  tokenKey: string;
  /** The TokenExpiry bucket of the socket, when its token expires. */
  expiryKey?: number;
  watch?: SocketWatch;
}
/** The tasks one socket watches, its slow-consumer outbox and its subscribe allowance. */
interface SocketWatch {
  sinks: Map<string, SocketTaskSink>;
  outbox: SocketOutbox;
  subscribes: TokenBucket;
  /** Subscribes refused in a row for the rate limit (a client that ignores `retryAfterMs` is cut off). */
  refusedInARow: number;
  /**
   * The socket's subscribes and unsubscribes, one at a time and in the order sent: a burst from one
   * socket holds one pooled connection at a time, not the pool other clients need; an unsubscribe
   * right after a subscribe undoes it.
   */
  serial: Promise<void>;
}
type TaskSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
type TaskNamespace = Namespace<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

/** A listener shared by every socket: Socket.IO calls a socket's listeners with the socket as `this`. */
function perSocket<A extends unknown[]>(fn: (socket: TaskSocket, ...args: A) => void): (this: TaskSocket, ...args: A) => void {
  return function (this: TaskSocket, ...args: A) {
    fn(this, ...args);
  };
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * Socket.IO namespace /tasks (API.md): token checked at connect, `subscribe` acks with the snapshot, then
 * every event after `afterSeq` from the log and the live ones, gap- and duplicate-free; many tasks per socket.
 *
 * Each subscription is a sink of the task's feed in this process (TaskFeeds of @spectest/progress: the
 * replay, the seam with live events and the lost-message poll); what is the gateway's own is the socket
 * side: the room broadcast that encodes a live event once for all its sockets, the slow-consumer outbox,
 * acks, limits and auth. A subscribe is always answered, `unavailable` when the database is down, and a
 * subscription the feed cannot serve any more is ended with `subscription_error`, never dropped in
 * silence. The socket handlers are bound once per gateway, not
 * through Nest's per-socket message pipelines (an rxjs chain per handler per socket), and nothing is
 * allocated for a socket until it subscribes: what an idle socket costs is mostly Socket.IO's own.
 */
@WebSocketGateway({ namespace: SOCKET_NAMESPACE })
export class TaskEventsGateway implements OnGatewayInit<TaskNamespace> {
  private readonly logger = new Logger(TaskEventsGateway.name);
  private readonly limiter: ConnectionLimiter;
  private readonly expiry = new TokenExpiry<TaskSocket>((socket) => socket.disconnect(true));
  private readonly room = new RoomBroadcast(() => this.nsp as Namespace | undefined);
  /** One function for every sink (no closure per subscription). */
  private readonly sinkEnded = (sink: SocketTaskSink, reason: FeedEnd) => this.ended(sink, reason);
  private nsp?: TaskNamespace;

  constructor(
    @Inject(TOKEN_VERIFIER) private readonly verifier: TokenVerifier,
    private readonly tasks: TaskStore,
    private readonly feeds: TaskFeeds,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {
    this.limiter = new ConnectionLimiter(config.MAX_CONNECTIONS_PER_TOKEN);
  }

  afterInit(nsp: TaskNamespace): void {
    this.nsp = nsp;
    applySocketOriginPolicy(nsp.server, originPolicyFromEnv(this.config));
    // Socket.IO keeps the HTTP request of every connection for the connection's life (socket.request).
    // Nothing here reads it after the handshake (socket.handshake keeps the auth payload, the address and
    // the time), so it is let go: it was about a tenth of an idle socket.
    nsp.server.engine.on('connection', (raw: { request: unknown }) => {
      raw.request = null;
    });
    nsp.use((socket, next) => {
      const raw = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
      const token = typeof raw === 'string' && raw.length > 0 ? raw : null;
      this.verifier.verify(token).then(
        (principal) => {
          const tokenKey = ConnectionLimiter.keyOf(token, socket.handshake.address);
          if (!this.limiter.allows(tokenKey)) {
            const max = this.config.MAX_CONNECTIONS_PER_TOKEN;
            // connect_error.message is the stable code; data carries the explanation.
            const err = Object.assign(new Error('limit_exceeded'), {
              data: { code: 'limit_exceeded', message: `at most ${max} connections per token on this gateway (MAX_CONNECTIONS_PER_TOKEN)` },
            });
            return next(err);
          }
          socket.data.principal = principal;
          socket.data.tokenKey = tokenKey;
          next();
        },
        () => next(new Error('unauthorized')),
      );
    });
    // One function of each kind for every socket (no closure per socket).
    const onSubscribe = perSocket((socket, body: unknown, ack?: (res: SubscribeAck) => void) => this.subscribe(socket, body, ack));
    const onUnsubscribe = perSocket((socket, body: unknown, ack?: (res: { ok: boolean }) => void) => this.unsubscribe(socket, body, ack));
    const onDisconnect = perSocket((socket) => this.disconnected(socket));
    nsp.on('connection', (socket) => {
      metrics.socketsConnected().inc();
      this.limiter.opened(socket.data.tokenKey);
      const { expiresAt } = socket.data.principal;
      // A token that expires while connected ends the socket; the client reconnects with a fresh one.
      if (expiresAt !== null) socket.data.expiryKey = this.expiry.add(socket, expiresAt);
      socket.on('subscribe', onSubscribe);
      socket.on('unsubscribe', onUnsubscribe);
      socket.on('disconnect', onDisconnect);
    });
  }

  /** Slow-consumer figures over this replica's sockets: events waiting now, progress events coalesced so far. */
  outboxStats(): { pendingEvents: number; coalesced: number } {
    let pendingEvents = 0;
    let coalesced = 0;
    for (const socket of this.nsp?.sockets.values() ?? []) {
      pendingEvents += socket.data.watch?.outbox.pendingEvents ?? 0;
      coalesced += socket.data.watch?.outbox.coalesced ?? 0;
    }
    return { pendingEvents, coalesced };
  }

  private disconnected(socket: TaskSocket): void {
    metrics.socketsConnected().dec();
    this.limiter.closed(socket.data.tokenKey);
    if (socket.data.expiryKey !== undefined) this.expiry.remove(socket, socket.data.expiryKey);
    const watch = socket.data.watch;
    if (!watch) return;
    for (const sink of [...watch.sinks.values()]) this.release(socket, sink);
    watch.outbox.close();
  }

  private watchOf(socket: TaskSocket): SocketWatch {
    if (socket.data.watch) return socket.data.watch;
    const limit = this.config.SOCKET_BUFFER_LIMIT;
    // engine.io's packets not yet handed to the transport; typed private, but it is the one signal of a
    // client that does not read (the transport takes a new batch only when the last one was written).
    const engine = socket.conn as unknown as { writeBuffer: unknown[] };
    const outbox = new SocketOutbox({
      backedUp: () => engine.writeBuffer.length > limit,
      send: (e) => socket.emit(e.type, e),
    });
    // engine.io emits drain when its buffer went to the transport: room again for what waits.
    socket.conn.on('drain', () => outbox.flush());
    const subscribes = new TokenBucket(this.config.SUBSCRIBE_RATE_PER_SOCKET, this.config.SUBSCRIBE_BURST_PER_SOCKET, Date.now());
    return (socket.data.watch = { sinks: new Map(), outbox, subscribes, refusedInARow: 0, serial: Promise.resolve() });
  }

  /** Forgets one subscription of a socket: out of its feed (the feed closes with its last subscriber) and its room. */
  private release(socket: TaskSocket, sink: SocketTaskSink): void {
    const sinks = socket.data.watch?.sinks;
    if (sinks?.get(sink.taskId) === sink) sinks.delete(sink.taskId);
    sink.close();
  }

  /** The feed stopped a subscription: done after the terminal event, or told to resubscribe later. */
  private ended(sink: SocketTaskSink, reason: FeedEnd): void {
    const socket = sink.socket as TaskSocket;
    this.release(socket, sink);
    if (reason.kind !== 'failed') return;
    socket.data.watch?.outbox.forget(sink.taskId);
    socket.emit('subscription_error', { taskId: sink.taskId, error: reason.error });
  }

  /** Runs a socket's subscribe or unsubscribe after the ones it sent before. */
  private serially(watch: SocketWatch, work: () => Promise<void> | void): void {
    watch.serial = watch.serial.then(work).catch((err) => this.logger.error({ err: String(err) }, 'subscribe failed'));
  }

  /** Refusals that need no database come at once; the rest waits its turn on the socket. */
  private subscribe(socket: TaskSocket, body: unknown, ack?: (res: SubscribeAck) => void): void {
    const reply = (res: SubscribeAck) => (typeof ack === 'function' ? ack(res) : undefined);
    const watch = this.watchOf(socket);
    // Before anything else: a flood costs one check per subscribe, not a database read.
    const waitMs = watch.subscribes.take(Date.now());
    if (waitMs > 0) {
      const { SUBSCRIBE_RATE_PER_SOCKET: rate, SUBSCRIBE_BURST_PER_SOCKET: burst } = this.config;
      // A client that waits as told is never refused this often; one that floods costs no more than this.
      if (++watch.refusedInARow > 2 * burst) {
        this.logger.warn({ tenant: socket.data.principal.tenant, refused: watch.refusedInARow }, 'socket disconnected: it kept subscribing past its rate limit');
        socket.disconnect(true);
        return;
      }
      const message = `at most ${rate} subscribes per second per socket, ${burst} at once (SUBSCRIBE_RATE_PER_SOCKET, SUBSCRIBE_BURST_PER_SOCKET)`;
      return reply({ ok: false, error: { code: 'limit_exceeded', message, retryAfterMs: waitMs } });
    }
    watch.refusedInARow = 0;
    const req = SubscribeRequestSchema.safeParse(body);
    if (!req.success) return reply({ ok: false, error: { code: 'invalid', message: req.error.issues[0]?.message } });
    const { taskId, afterSeq = 0 } = req.data;
    if (!UUID.test(taskId)) return reply({ ok: false, error: { code: 'not_found' } });
    this.serially(watch, () => this.open(socket, watch, taskId, afterSeq, reply));
  }

  private async open(socket: TaskSocket, watch: SocketWatch, taskId: string, afterSeq: number, reply: (res: SubscribeAck) => void): Promise<void> {
    if (!socket.connected) return;
    let record: TaskRecord | null;
    try {
      record = await withDeadline(this.tasks.getForTenant(taskId, socket.data.principal.tenant), this.config.SUBSCRIBE_READ_TIMEOUT_MS, 'the task read');
    } catch (err) {
      this.logger.warn({ taskId, err: String(err) }, 'subscribe: the task could not be read');
      return reply({ ok: false, error: { code: 'unavailable', message: 'the database is unavailable; subscribe again later' } });
    }
    if (!record || !socket.connected) return reply({ ok: false, error: { code: 'not_found' } });
    const { snapshot } = record;
    if (afterSeq > snapshot.seq) {
      return reply({ ok: false, error: { code: 'invalid', message: `afterSeq ${afterSeq} is beyond the last event (${snapshot.seq})` } });
    }
    const previous = watch.sinks.get(taskId);
    if (!previous && watch.sinks.size >= this.config.MAX_SUBSCRIPTIONS_PER_SOCKET) {
      return reply({ ok: false, error: { code: 'limit_exceeded', message: `at most ${this.config.MAX_SUBSCRIPTIONS_PER_SOCKET} tasks per socket` } });
    }
    if (previous) {
      this.release(socket, previous);
      // Whatever of the old subscription still waits would break the new one's order (seq > afterSeq, ascending).
      watch.outbox.forget(taskId);
    }
    // The ack goes first, so the client holds the snapshot before any replayed event arrives.
    reply({ ok: true, snapshot });
    // The client has seen the terminal event: nothing can follow, nothing to keep.
    if (isTerminalStatus(snapshot.status) && afterSeq === snapshot.seq) return;
    const sink = new SocketTaskSink(taskId, socket, watch.outbox, this.room, this.sinkEnded);
    watch.sinks.set(taskId, sink);
    sink.subscription = this.feeds.subscribe(taskId, afterSeq, snapshot, sink);
  }

  private unsubscribe(socket: TaskSocket, body: unknown, ack?: (res: { ok: boolean }) => void): void {
    const req = UnsubscribeRequestSchema.safeParse(body);
    const reply = () => (typeof ack === 'function' ? ack({ ok: req.success }) : undefined);
    const watch = socket.data.watch;
    if (!req.success || !watch) return reply();
    const { taskId } = req.data;
    this.serially(watch, () => {
      const sink = watch.sinks.get(taskId);
      if (sink) this.release(socket, sink);
      watch.outbox.forget(taskId);
      reply();
    });
  }
}
