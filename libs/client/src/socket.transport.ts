import { ClientToServerEvents, SOCKET_NAMESPACE, ServerToClientEvents, SubscribeAck, TaskEvent } from '@spectest/contracts';
import { Socket, io } from 'socket.io-client';
import { AttemptOutcome, TransportContext } from './transport';

type ClientSocket = Socket<ServerToClientEvents, ClientToServerEvents>;
const EVENT_NAMES = ['progress', 'completed', 'failed', 'cancelled'] as const;

/**
 * One Socket.IO connection to one gateway: connect, subscribe after the last seq, take events until the
 * socket drops. Socket.IO's own reconnection is off: the watch reconnects itself, to the next replica,
 * with its own backoff, and always resubscribes with the seq it has (which survives any server restart).
 */
export function runSocketAttempt(ctx: TransportContext, gatewayUrl: string, timeoutMs: number): Promise<AttemptOutcome> {
  return ctx.token().then(
    (token) =>
      new Promise<AttemptOutcome>((resolve) => {
        const socket: ClientSocket = io(`${gatewayUrl}${SOCKET_NAMESPACE}`, {
          auth: token === undefined ? {} : { token },
          // websocket only: no sticky sessions needed behind a load balancer (API docs, README).
          transports: ['websocket'],
          reconnection: false,
          forceNew: true,
          timeout: timeoutMs,
        });
        let connected = false;
        let settled = false;
        let subscribing = false;

        const finish = (outcome: AttemptOutcome) => {
          if (settled) return;
          settled = true;
          ctx.signal.removeEventListener('abort', onAbort);
          socket.removeAllListeners();
          socket.disconnect();
          resolve(outcome);
        };
        const onAbort = () => finish({ kind: 'dropped', connected, detail: 'aborted' });

        const subscribe = async () => {
          subscribing = true;
          let ack: SubscribeAck;
          try {
            ack = await socket.timeout(timeoutMs).emitWithAck('subscribe', { taskId: ctx.taskId, afterSeq: ctx.lastSeq });
          } catch {
            return finish({ kind: 'dropped', connected, detail: 'no subscribe ack' });
          }
          subscribing = false;
          if (!ack.ok) {
            // Over this replica's limit: another attempt (maybe on another replica) may succeed.
            if (ack.error.code === 'limit_exceeded') return finish({ kind: 'dropped', connected: false, detail: ack.error.message ?? 'limit_exceeded' });
            return finish({ kind: 'fatal', error: { code: ack.error.code, message: ack.error.message ?? ack.error.code } });
          }
          if (ctx.acked(ack.snapshot)) finish({ kind: 'ended' });
        };

        const onEvent = (event: TaskEvent) => {
          const accepted = ctx.accept(event);
          if (accepted === 'ended') finish({ kind: 'ended' });
          // A seq jump (the gateway coalesced progress for a slow socket): read the missing ones from the
          // log by resubscribing after the last seq we have. Events arriving meanwhile are either the next
          // ones (taken) or beyond (dropped: the replay brings them).
          else if (accepted === 'gap' && !subscribing) void subscribe();
        };

        if (ctx.signal.aborted) return finish({ kind: 'dropped', connected, detail: 'aborted' });
        ctx.signal.addEventListener('abort', onAbort, { once: true });
        for (const name of EVENT_NAMES) socket.on(name, onEvent);
        socket.on('connect', () => {
          connected = true;
          ctx.state('socket');
          void subscribe();
        });
        socket.on('connect_error', (err) => {
          if (err.message === 'unauthorized') return finish({ kind: 'unauthorized' });
          finish({ kind: 'dropped', connected: false, detail: err.message });
        });
        socket.on('disconnect', (reason) => finish({ kind: 'dropped', connected: true, detail: reason }));
      }),
  );
}
