import { socketPool } from './shared-socket';
import { AttemptOutcome, TransportContext } from './transport';

/**
 * One socket attempt of one task: subscribe after the last seq on the process's shared socket to this
 * gateway (opened by the first task, closed with the last), take the task's events until the socket
 * drops or the task ends. Socket.IO's own reconnection is off: the watch reconnects itself, to the next
 * replica, with its own backoff, and always resubscribes with the seq it has (which survives any
 * server restart).
 */
export function runSocketAttempt(ctx: TransportContext, gatewayUrl: string, timeoutMs: number, maxTasksPerSocket: number): Promise<AttemptOutcome> {
  return socketPool.attempt(ctx, gatewayUrl, timeoutMs, maxTasksPerSocket);
}
