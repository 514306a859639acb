import { Inject, Logger } from '@nestjs/common';
import { OnGatewayInit, WebSocketGateway } from '@nestjs/websockets';
import { Principal, TOKEN_VERIFIER, TokenVerifier } from '@spectest/auth';
import {
  ClientToServerEvents,
  SOCKET_NAMESPACE,
  ServerToClientEvents,
  SubscribeAck,
  SubscribeRequestSchema,
  TaskEvent,
  UnsubscribeRequestSchema,
  isTerminalStatus,
} from '@spectest/contracts';
import { TaskStore } from '@spectest/persistence';
import { metrics, originPolicyFromEnv } from '@spectest/platform';
import { TaskEventStreams } from '@spectest/progress';
import type { Namespace, Socket } from 'socket.io';
import { ConnectionLimiter } from './connection-limiter';
import { GATEWAY_CONFIG, GatewayConfig } from './gateway.config';
import { SocketOutbox } from './socket-outbox';
import { applySocketOriginPolicy } from './socket-origin';
import { FeedMember, TaskFeed, TaskFeedDeps } from './task-feed';
import { TokenExpiry } from './token-expiry';

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
/** The tasks one socket watches, and its slow-consumer outbox. */
interface SocketWatch {
  members: Map<string, FeedMember>;
  outbox: SocketOutbox;
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
 * Live events of a task reach its sockets through one TaskFeed per task per process (one stream of the
 * log, each event encoded once for all sockets). The socket handlers are bound once per gateway, not
 * through Nest's per-socket message pipelines (an rxjs chain per handler per socket), and nothing is
 * allocated for a socket until it subscribes: what an idle socket costs is mostly Socket.IO's own.
 */
@WebSocketGateway({ namespace: SOCKET_NAMESPACE })
export class TaskEventsGateway implements OnGatewayInit<TaskNamespace> {
  private readonly logger = new Logger(TaskEventsGateway.name);
  private readonly limiter: ConnectionLimiter;
  private readonly expiry = new TokenExpiry<TaskSocket>((socket) => socket.disconnect(true));
  private readonly feeds = new Map<string, TaskFeed>();
  private readonly feedDeps: TaskFeedDeps;
  private nsp?: TaskNamespace;

  constructor(
    @Inject(TOKEN_VERIFIER) private readonly verifier: TokenVerifier,
    private readonly tasks: TaskStore,
    private readonly streams: TaskEventStreams,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {
    this.limiter = new ConnectionLimiter(config.MAX_CONNECTIONS_PER_TOKEN);
    this.feedDeps = {
      streams,
      store: tasks,
      broadcast: (taskId, except, e) => this.broadcast(taskId, except, e),
      memberDone: (m) => this.release(m.socket as TaskSocket, m),
      retired: (feed) => {
        if (this.feeds.get(feed.taskId) === feed) this.feeds.delete(feed.taskId);
      },
      warn: (detail, msg) => this.logger.warn(detail, msg),
    };
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
          const tokenKey = ConnectionLimiter.keyOf(token);
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
    const onSubscribe = perSocket((socket, body: unknown, ack?: (res: SubscribeAck) => void) => {
      this.subscribe(socket, body, ack).catch((err) => this.logger.error({ err: String(err) }, 'subscribe failed'));
    });
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

  /** Tasks with a live feed in this process (for tests and metrics). */
  get feedCount(): number {
    return this.feeds.size;
  }

  private disconnected(socket: TaskSocket): void {
    metrics.socketsConnected().dec();
    this.limiter.closed(socket.data.tokenKey);
    if (socket.data.expiryKey !== undefined) this.expiry.remove(socket, socket.data.expiryKey);
    const watch = socket.data.watch;
    if (!watch) return;
    for (const m of [...watch.members.values()]) this.release(socket, m);
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
    return (socket.data.watch = { members: new Map(), outbox });
  }

  private broadcast(taskId: string, except: string[] | undefined, e: TaskEvent): void {
    const nsp = this.nsp;
    if (!nsp) return;
    (except ? nsp.to(taskId).except(except) : nsp.to(taskId)).emit(e.type, e);
  }

  /** Forgets one subscription of a socket: out of its feed (the feed closes with its last member). */
  private release(socket: TaskSocket, member: FeedMember): void {
    const members = socket.data.watch?.members;
    if (members?.get(member.taskId) === member) members.delete(member.taskId);
    member.closed = true;
    member.feed?.remove(member);
  }

  private async subscribe(socket: TaskSocket, body: unknown, ack?: (res: SubscribeAck) => void): Promise<void> {
    const reply = (res: SubscribeAck) => (typeof ack === 'function' ? ack(res) : undefined);
    const req = SubscribeRequestSchema.safeParse(body);
    if (!req.success) return reply({ ok: false, error: { code: 'invalid', message: req.error.issues[0]?.message } });
    const { taskId, afterSeq = 0 } = req.data;
    if (!UUID.test(taskId)) return reply({ ok: false, error: { code: 'not_found' } });
    const record = await this.tasks.getForTenant(taskId, socket.data.principal.tenant);
    if (!record || !socket.connected) return reply({ ok: false, error: { code: 'not_found' } });
    const { snapshot } = record;
    if (afterSeq > snapshot.seq) {
      return reply({ ok: false, error: { code: 'invalid', message: `afterSeq ${afterSeq} is beyond the last event (${snapshot.seq})` } });
    }
    const watch = this.watchOf(socket);
    const previous = watch.members.get(taskId);
    if (!previous && watch.members.size >= this.config.MAX_SUBSCRIPTIONS_PER_SOCKET) {
      return reply({ ok: false, error: { code: 'limit_exceeded', message: `at most ${this.config.MAX_SUBSCRIPTIONS_PER_SOCKET} tasks per socket` } });
    }
    if (previous) {
      this.release(socket, previous);
      // Whatever of the old subscription still waits would break the new one's order (seq > afterSeq, ascending).
      watch.outbox.forget(taskId);
    }
    // The ack goes first, so the client holds the snapshot before any replayed event arrives.
    reply({ ok: true, snapshot });
    const ended = isTerminalStatus(snapshot.status);
    // The client has seen the terminal event: nothing can follow, nothing to keep.
    if (ended && afterSeq === snapshot.seq) return;
    let feed = ended ? undefined : this.feeds.get(taskId);
    if (!feed) {
      // An ended task gets a feed of its own that only reads the log (no stream), kept out of the map.
      feed = new TaskFeed(taskId, snapshot.seq, ended, this.feedDeps);
      if (!ended) this.feeds.set(taskId, feed);
      void feed.open();
    }
    const member = new FeedMember(taskId, socket, watch.outbox, afterSeq);
    watch.members.set(taskId, member);
    feed.add(member);
  }

  private unsubscribe(socket: TaskSocket, body: unknown, ack?: (res: { ok: boolean }) => void): void {
    const req = UnsubscribeRequestSchema.safeParse(body);
    const watch = socket.data.watch;
    if (req.success && watch) {
      const member = watch.members.get(req.data.taskId);
      if (member) this.release(socket, member);
      watch.outbox.forget(req.data.taskId);
    }
    if (typeof ack === 'function') ack({ ok: req.success });
  }
}
