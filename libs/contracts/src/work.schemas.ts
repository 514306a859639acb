import { z } from 'zod';

/**
 * Work messages on JetStream carry ids only (claim check): the spec, endpoints and cases stay in Postgres.
 * `generation` is the task's dispatch generation when the message was published: a message of an older
 * generation than the task's is stale and does nothing (absent in messages of earlier versions: 1).
 * The redelivery count comes from the broker.
 */
export const WorkMessageSchema = z.object({
  taskId: z.string().uuid(),
  generation: z.number().int().min(1).default(1),
});
export type WorkMessage = z.infer<typeof WorkMessageSchema>;

/** Broadcast to every worker: stop what you do for this task (cancel, timeout). */
export const TaskControlMessageSchema = z.object({
  taskId: z.string().uuid(),
  action: z.enum(['cancel']),
  reason: z.string().optional(),
});
export type TaskControlMessage = z.infer<typeof TaskControlMessageSchema>;
