import type { TaskEvent, TaskSnapshot } from './task.schemas';
import { z } from 'zod';

export const SOCKET_NAMESPACE = '/tasks';

export const SubscribeRequestSchema = z.object({
  taskId: z.string().min(1).max(100),
  afterSeq: z.number().int().nonnegative().optional(),
});
export type SubscribeRequest = z.infer<typeof SubscribeRequestSchema>;
export const UnsubscribeRequestSchema = z.object({ taskId: z.string().min(1).max(100) });
export type UnsubscribeRequest = z.infer<typeof UnsubscribeRequestSchema>;

export type SubscribeAck =
  | { ok: true; snapshot: TaskSnapshot }
  | { ok: false; error: { code: 'not_found' | 'invalid' | 'limit_exceeded'; message?: string } };

/** Events the server emits on /tasks: the event `type` is the Socket.IO event name. */
export interface ServerToClientEvents {
  progress: (event: TaskEvent) => void;
  completed: (event: TaskEvent) => void;
  failed: (event: TaskEvent) => void;
  cancelled: (event: TaskEvent) => void;
}

export interface ClientToServerEvents {
  subscribe: (req: SubscribeRequest, ack: (res: SubscribeAck) => void) => void;
  unsubscribe: (req: UnsubscribeRequest, ack?: (res: { ok: boolean }) => void) => void;
}
