import { createHash, randomUUID } from 'node:crypto';
import type { NewTaskInput } from '@spectest/progress';

/** A task as intake would create it, for tests and benchmarks that drive the event writer directly. */
export function sampleTaskInput(overrides: Partial<Omit<NewTaskInput, 'spec'>> & { specText?: string } = {}): NewTaskInput {
  const { specText = '{}', ...rest } = overrides;
  const content = Buffer.from(specText);
  return {
    taskId: randomUUID(),
    tenant: 'acme',
    name: 'task',
    createdAt: new Date(),
    deadlineAt: new Date(Date.now() + 600_000),
    options: {},
    spec: { id: randomUUID(), content, sha256: createHash('sha256').update(content).digest('hex') },
    idempotencyKey: null,
    requestHash: null,
    ...rest,
  };
}

/** A task of the benchmarks (scripts/bench): tenant `bench`, an hour to run. */
export function benchTask(name: string): NewTaskInput {
  return sampleTaskInput({ tenant: 'bench', name, deadlineAt: new Date(Date.now() + 3_600_000) });
}
