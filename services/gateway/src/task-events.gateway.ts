import { Inject, Logger } from '@nestjs/common';
import {
  Ack,
  ConnectedSocket,
  MessageBody,
  OnGatewayConnection,
  OnGatewayDisconnect,
  OnGatewayInit,
  SubscribeMessage,
  WebSocketGateway,
} from '@nestjs/websockets';
import { Principal, TOKEN_VERIFIER, TokenVerifier } from '@spectest/auth';
import {
  ClientToServerEvents,
  SOCKET_NAMESPACE,
  ServerToClientEvents,
  SubscribeAck,
  SubscribeRequestSchema,
  UnsubscribeRequestSchema,
  isTerminalStatus,
} from '@spectest/contracts';
import { TaskStore } from '@spectest/persistence';
import { metrics } from '@spectest/platform';
import { OpenStream, TaskEventStreams } from '@spectest/progress';
import type { Namespace, Socket } from 'socket.io';
import { ConnectionLimiter } from './connection-limiter';
import { GATEWAY_CONFIG, GatewayConfig } from './gateway.config';
import { SocketOutbox } from './socket-outbox';

/**
 * One task watched by one socket. It is registered BEFORE its stream opens, so an unsubscribe, a
 * resubscribe or a disconnect that arrives during the replay cancels it instead of missing it.
 */
class Subscription {
  private stream?: OpenStream;
  private closed = false;

  get active(): boolean {
    return !this.closed;
  }

  async attach(stream: OpenStream): Promise<void> {
    if (this.closed) return stream.close();
    this.stream = stream;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.stream?.close();
  }
}

interface SocketData {
  principal: Principal;
  streams: Map<string, Subscription>;
  outbox: SocketOutbox;
  tokenKey: string;
  expiry?: NodeJS.Timeout;
}
type TaskSocket = Socket<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;
type TaskNamespace = Namespace<ClientToServerEvents, ServerToClientEvents, Record<string, never>, SocketData>;

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const MAX_TIMER_MS = 2_147_483_647;

/**
 * Socket.IO namespace /tasks (API.md): token checked at connect, `subscribe` acks with the snapshot, then
 * every event after `afterSeq` from the log and the live ones, gap- and duplicate-free; many tasks per socket.
 */
@WebSocketGateway({ namespace: SOCKET_NAMESPACE, cors: { origin: true } })
export class TaskEventsGateway implements OnGatewayInit<TaskNamespace>, OnGatewayConnection<TaskSocket>, OnGatewayDisconnect<TaskSocket> {
  private readonly logger = new Logger(TaskEventsGateway.name);
  private readonly limiter: ConnectionLimiter;
  private nsp?: TaskNamespace;

  constructor(
    @Inject(TOKEN_VERIFIER) private readonly verifier: TokenVerifier,
    private readonly tasks: TaskStore,
    private readonly streams: TaskEventStreams,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {
    this.limiter = new ConnectionLimiter(config.MAX_CONNECTIONS_PER_TOKEN);
  }

  afterInit(nsp: TaskNamespace): void {
    this.nsp = nsp;
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
          socket.data.streams = new Map();
          socket.data.tokenKey = tokenKey;
          next();
        },
        () => next(new Error('unauthorized')),
      );
    });
  }

  handleConnection(socket: TaskSocket): void {
    metrics.socketsConnected().inc();
    this.limiter.opened(socket.data.tokenKey);
    const limit = this.config.SOCKET_BUFFER_LIMIT;
    // engine.io's packets not yet handed to the transport; typed private, but it is the one signal of a
    // client that does not read (the transport takes a new batch only when the last one was written).
    const engine = socket.conn as unknown as { writeBuffer: unknown[] };
    const outbox = new SocketOutbox({
      backedUp: () => engine.writeBuffer.length > limit,
      send: (e) => socket.emit(e.type, e),
    });
    socket.data.outbox = outbox;
    // engine.io emits drain when its buffer went to the transport: room again for what waits.
    socket.conn.on('drain', () => outbox.flush());
    const { expiresAt } = socket.data.principal;
    if (expiresAt !== null) {
      // A token that expires while connected ends the socket; the client reconnects with a fresh one.
      const ms = Math.min(MAX_TIMER_MS, Math.max(0, expiresAt - Date.now()));
      socket.data.expiry = setTimeout(() => socket.disconnect(true), ms);
    }
  }

  async handleDisconnect(socket: TaskSocket): Promise<void> {
    metrics.socketsConnected().dec();
    this.limiter.closed(socket.data.tokenKey);
    clearTimeout(socket.data.expiry);
    const streams = [...(socket.data.streams?.values() ?? [])];
    socket.data.streams?.clear();
    await Promise.all(streams.map((s) => s.close()));
  }

  /** Slow-consumer figures over this replica's sockets: events waiting now, progress events coalesced so far. */
  outboxStats(): { pendingEvents: number; coalesced: number } {
    let pendingEvents = 0;
    let coalesced = 0;
    for (const socket of this.nsp?.sockets.values() ?? []) {
      pendingEvents += socket.data.outbox?.pendingEvents ?? 0;
      coalesced += socket.data.outbox?.coalesced ?? 0;
    }
    return { pendingEvents, coalesced };
  }

  @SubscribeMessage('subscribe')
  async subscribe(@ConnectedSocket() socket: TaskSocket, @MessageBody() body: unknown, @Ack() ack?: (res: SubscribeAck) => void): Promise<void> {
    const reply = (res: SubscribeAck) => (typeof ack === 'function' ? ack(res) : undefined);
    const req = SubscribeRequestSchema.safeParse(body);
    if (!req.success) return reply({ ok: false, error: { code: 'invalid', message: req.error.issues[0]?.message } });
    const { taskId, afterSeq = 0 } = req.data;
    if (!UUID.test(taskId)) return reply({ ok: false, error: { code: 'not_found' } });
    const record = await this.tasks.getForTenant(taskId, socket.data.principal.tenant);
    if (!record || !socket.connected) return reply({ ok: false, error: { code: 'not_found' } });
    if (afterSeq > record.snapshot.seq) {
      return reply({ ok: false, error: { code: 'invalid', message: `afterSeq ${afterSeq} is beyond the last event (${record.snapshot.seq})` } });
    }
    const streams = socket.data.streams;
    const previous = streams.get(taskId);
    if (!previous && streams.size >= this.config.MAX_SUBSCRIPTIONS_PER_SOCKET) {
      return reply({ ok: false, error: { code: 'limit_exceeded', message: `at most ${this.config.MAX_SUBSCRIPTIONS_PER_SOCKET} tasks per socket` } });
    }
    const subscription = new Subscription();
    streams.set(taskId, subscription);
    await previous?.close();
    // Whatever of the old subscription still waits would break the new one's order (seq > afterSeq, ascending).
    if (previous) socket.data.outbox.forget(taskId);
    // The ack goes first, so the client holds the snapshot before any replayed event arrives.
    reply({ ok: true, snapshot: record.snapshot });
    const release = () => {
      if (streams.get(taskId) === subscription) streams.delete(taskId);
      subscription.close().catch((err) => this.logger.warn({ taskId, err: String(err) }, 'closing a task stream failed'));
    };
    if (isTerminalStatus(record.snapshot.status) && afterSeq === record.snapshot.seq) {
      // The client has seen the terminal event: nothing can follow, so no stream to keep open.
      release();
      return;
    }
    try {
      const stream = await this.streams.open(
        taskId,
        afterSeq,
        (e) => {
          if (subscription.active) socket.data.outbox.push(e);
        },
        // After the terminal event nothing more can come: free the broker subscription and the slot.
        release,
      );
      await subscription.attach(stream);
    } catch (err) {
      this.logger.error({ taskId, err: String(err) }, 'could not open the task stream');
      release();
    }
  }

  @SubscribeMessage('unsubscribe')
  async unsubscribe(@ConnectedSocket() socket: TaskSocket, @MessageBody() body: unknown, @Ack() ack?: (res: { ok: boolean }) => void): Promise<void> {
    const req = UnsubscribeRequestSchema.safeParse(body);
    const stream = req.success ? socket.data.streams.get(req.data.taskId) : undefined;
    if (req.success) socket.data.streams.delete(req.data.taskId);
    await stream?.close();
    if (req.success) socket.data.outbox.forget(req.data.taskId);
    if (typeof ack === 'function') ack({ ok: req.success });
  }
}
