import { TaskEvent } from '@spectest/contracts';
import { createParser } from 'eventsource-parser';
import { io } from 'socket.io-client';
import type { TaskSocket } from '../../e2e/full/clients';

const EVENT_TYPES = ['progress', 'completed', 'failed', 'cancelled'] as const;
const pause = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** What a watcher received, in order, across every reconnect. */
export interface WatchedStream {
  taskId: string;
  channel: 'sse' | 'socket';
  events: TaskEvent[];
  reconnects: number;
  done: Promise<void>;
  stop(): void;
}

/**
 * An SSE client as a browser's EventSource behaves: on any break (the intake died, a 503) it connects
 * again with `Last-Event-ID`, until the terminal event. Tries the given intake URLs in turn.
 */
export function watchSse(urls: () => string[], taskId: string, token: string): WatchedStream {
  const stream: WatchedStream = { taskId, channel: 'sse', events: [], reconnects: 0, done: Promise.resolve(), stop: () => undefined };
  let stopped = false;
  let abort = new AbortController();
  stream.stop = () => {
    stopped = true;
    abort.abort();
  };
  stream.done = (async () => {
    for (let attempt = 0; !stopped; attempt++) {
      const list = urls();
      const url = list[attempt % list.length];
      const last = stream.events.at(-1);
      if (last && last.type !== 'progress') return;
      abort = new AbortController();
      try {
        const res = await fetch(`${url}/v1/tasks/${taskId}/events`, {
          headers: { accept: 'text/event-stream', authorization: `Bearer ${token}`, ...(last ? { 'last-event-id': String(last.seq) } : {}) },
          signal: abort.signal,
        });
        if (res.status === 200 && res.body) {
          const parser = createParser({ onEvent: (msg) => stream.events.push(JSON.parse(msg.data) as TaskEvent) });
          const decoder = new TextDecoder();
          for await (const chunk of res.body as unknown as AsyncIterable<Uint8Array>) parser.feed(decoder.decode(chunk, { stream: true }));
        } else {
          await res.body?.cancel();
        }
      } catch {
        /* the connection broke: reconnect below */
      }
      const end = stream.events.at(-1);
      if (end && end.type !== 'progress') return;
      stream.reconnects += 1;
      await pause(500);
    }
  })();
  return stream;
}

/**
 * A Socket.IO client that resumes as API.md says: on a disconnect (or an ack that never comes) it
 * connects again and subscribes with the last seq it saw.
 */
export function watchSocket(urls: () => string[], taskId: string, token: string): WatchedStream {
  const stream: WatchedStream = { taskId, channel: 'socket', events: [], reconnects: 0, done: Promise.resolve(), stop: () => undefined };
  let stopped = false;
  let current: TaskSocket | undefined;
  stream.stop = () => {
    stopped = true;
    current?.close();
  };
  stream.done = (async () => {
    for (let attempt = 0; !stopped; attempt++) {
      const list = urls();
      const url = list[attempt % list.length];
      const socket: TaskSocket = io(`${url}/tasks`, { auth: { token }, transports: ['websocket'], reconnection: false, forceNew: true });
      current = socket;
      const ended = await new Promise<boolean>((resolve) => {
        let settled = false;
        const finish = (terminal: boolean) => {
          if (settled) return;
          settled = true;
          socket.close();
          resolve(terminal);
        };
        for (const type of EVENT_TYPES) {
          socket.on(type, (e: TaskEvent) => {
            if (e.taskId !== taskId) return;
            stream.events.push(e);
            if (e.type !== 'progress') finish(true);
          });
        }
        socket.on('disconnect', () => finish(false));
        socket.on('connect_error', () => finish(false));
        socket.on('connect', () => {
          const last = stream.events.at(-1);
          socket
            .timeout(10_000)
            .emitWithAck('subscribe', last ? { taskId, afterSeq: last.seq } : { taskId })
            .then((ack) => {
              if (!ack.ok) finish(false);
            })
            .catch(() => finish(false));
        });
      });
      if (ended || stopped) return;
      stream.reconnects += 1;
      await pause(500);
    }
  })();
  return stream;
}

/** Breaks of the rules a resumed stream must keep: seq 1, 2, 3, ... with no gap and no repeat, ending terminal. */
export function streamBreaks(stream: WatchedStream): string[] {
  const broken: string[] = [];
  stream.events.forEach((e, i) => {
    if (e.seq !== i + 1) broken.push(`${stream.channel} ${stream.taskId}: event ${i} has seq ${e.seq}`);
  });
  if (stream.events.at(-1)?.type === 'progress' || !stream.events.length) broken.push(`${stream.channel} ${stream.taskId}: no terminal event`);
  return broken;
}
