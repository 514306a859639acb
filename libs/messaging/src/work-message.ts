import { WorkMessage, WorkMessageSchema, WorkStage, subjects } from '@spectest/contracts';
import { z } from 'zod';
import { PoisonMessageError } from './messaging.types';

/** A work message that does not match its schema; `taskId` when the payload names a task, so it can be failed at once. */
export class InvalidWorkMessageError extends PoisonMessageError {
  readonly code = 'invalid_work_message';
  constructor(
    message: string,
    readonly taskId: string | null,
  ) {
    super(message);
    this.name = 'InvalidWorkMessageError';
  }
}

const NamesTask = z.object({ taskId: z.string().uuid() });

/** Parses a stage's work message at the edge; a malformed one is poison (terminated, never retried). */
export function parseWorkMessage(stage: WorkStage, payload: unknown): WorkMessage {
  const msg = WorkMessageSchema.safeParse(payload);
  if (msg.success) return msg.data;
  const named = NamesTask.safeParse(payload);
  throw new InvalidWorkMessageError(`invalid ${subjects.work(stage)} message: ${msg.error.message}`, named.success ? named.data.taskId : null);
}
