import { z } from 'zod';

/** What a client sends on /tasks, parsed by the gateway at the edge. */
export const SubscribeRequestSchema = z.object({
  taskId: z.string().min(1).max(100),
  afterSeq: z.number().int().nonnegative().optional(),
});
export type SubscribeRequest = z.infer<typeof SubscribeRequestSchema>;
export const UnsubscribeRequestSchema = z.object({ taskId: z.string().min(1).max(100) });
export type UnsubscribeRequest = z.infer<typeof UnsubscribeRequestSchema>;
