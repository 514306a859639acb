import { z } from 'zod';

/**
 * Work messages on JetStream carry ids only (claim check): the spec, endpoints and cases stay in Postgres.
 * `attempt` is informational; redelivery count comes from the broker.
 */
export const WorkMessageSchema = z.object({
  taskId: z.string().uuid(),
});
export type WorkMessage = z.infer<typeof WorkMessageSchema>;

/** Broadcast to every worker: stop what you do for this task (cancel, timeout). */
export const TaskControlMessageSchema = z.object({
  taskId: z.string().uuid(),
  action: z.enum(['cancel']),
  reason: z.string().optional(),
});
export type TaskControlMessage = z.infer<typeof TaskControlMessageSchema>;
