import { WorkMessage, WorkMessageSchema, WorkStage, subjects } from '@spectest/contracts';
import { PoisonMessageError } from './messaging.types';

/** Parses a stage's work message at the edge; a malformed one is poison (terminated, never retried). */
export function parseWorkMessage(stage: WorkStage, payload: unknown): WorkMessage {
  const msg = WorkMessageSchema.safeParse(payload);
  if (!msg.success) throw new PoisonMessageError(`invalid ${subjects.work(stage)} message: ${msg.error.message}`);
  return msg.data;
}
