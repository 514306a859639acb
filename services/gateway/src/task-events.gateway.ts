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
import { GATEWAY_CONFIG, GatewayConfig } from './gateway.config';

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

  constructor(
    @Inject(TOKEN_VERIFIER) private readonly verifier: TokenVerifier,
    private readonly tasks: TaskStore,
    private readonly streams: TaskEventStreams,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  afterInit(nsp: TaskNamespace): void {
    nsp.use((socket, next) => {
      const token = (socket.handshake.auth as { token?: unknown } | undefined)?.token;
      this.verifier
        .verify(typeof token === 'string' && token.length > 0 ? token : null)
        .then((principal) => {
          socket.data.principal = principal;
          socket.data.streams = new Map();
          next();
        })
        .catch(() => next(new Error('unauthorized')));
    });
  }

  handleConnection(socket: TaskSocket): void {
    metrics.socketsConnected().inc();
    const { expiresAt } = socket.data.principal;
    if (expiresAt !== null) {
      // A token that expires while connected ends the socket; the client reconnects with a fresh one.
      const ms = Math.min(MAX_TIMER_MS, Math.max(0, expiresAt - Date.now()));
      socket.data.expiry = setTimeout(() => socket.disconnect(true), ms);
    }
  }

  async handleDisconnect(socket: TaskSocket): Promise<void> {
    metrics.socketsConnected().dec();
    clearTimeout(socket.data.expiry);
    const streams = [...(socket.data.streams?.values() ?? [])];
    socket.data.streams?.clear();
    await Promise.all(streams.map((s) => s.close()));
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
          if (subscription.active) socket.emit(e.type, e);
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
    if (typeof ack === 'function') ack({ ok: req.success });
  }
}
