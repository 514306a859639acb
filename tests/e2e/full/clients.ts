import { ClientToServerEvents, EVENT_TYPES, ServerToClientEvents, SubscribeAck, TaskEvent, isTerminalEvent } from '@spectest/contracts';
import { createParser } from 'eventsource-parser';
import { io, Socket } from 'socket.io-client';

export type TaskSocket = Socket<ServerToClientEvents, ClientToServerEvents>;

export function connectSocket(gatewayUrl: string, token: string | undefined): Promise<TaskSocket> {
  const socket: TaskSocket = io(`${gatewayUrl}/tasks`, {
    auth: token === undefined ? {} : { token },
    transports: ['websocket'],
    reconnection: false,
    forceNew: true,
  });
  return new Promise((resolve, reject) => {
    socket.once('connect', () => resolve(socket));
    socket.once('connect_error', (err) => {
      socket.close();
      reject(err);
    });
  });
}

export function subscribe(socket: TaskSocket, taskId: string, afterSeq?: number): Promise<SubscribeAck> {
  return socket.timeout(10_000).emitWithAck('subscribe', afterSeq === undefined ? { taskId } : { taskId, afterSeq });
}

/** Collects a task's events on a socket (listeners attached before subscribing, so nothing is missed). */
export function collectSocketEvents(socket: TaskSocket, taskId: string) {
  const events: TaskEvent[] = [];
  let resolveEnd: () => void = () => undefined;
  const ended = new Promise<void>((r) => (resolveEnd = r));
  for (const type of EVENT_TYPES) {
    socket.on(type, (e: TaskEvent) => {
      if (e.taskId !== taskId) return;
      events.push(e);
      if (isTerminalEvent(e)) resolveEnd();
    });
  }
  return { events, ended };
}

/** Reads an SSE stream to its end (the server closes it after the terminal event). */
export async function readSse(url: string, headers: Record<string, string> = {}): Promise<{ status: number; events: TaskEvent[]; ids: string[]; names: string[] }> {
  const res = await fetch(url, { headers: { accept: 'text/event-stream', ...headers } });
  const events: TaskEvent[] = [];
  const ids: string[] = [];
  const names: string[] = [];
  if (res.status !== 200 || !res.body) return { status: res.status, events, ids, names };
  const parser = createParser({
    onEvent: (msg) => {
      ids.push(msg.id ?? '');
      names.push(msg.event ?? 'message');
      events.push(JSON.parse(msg.data) as TaskEvent);
    },
  });
  const decoder = new TextDecoder();
  for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) parser.feed(decoder.decode(chunk, { stream: true }));
  return { status: res.status, events, ids, names };
}

export function withTimeout<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`${what}: no answer in ${ms} ms`)), ms))),
  ]);
}
