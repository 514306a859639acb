import { AppError, TaskOptions, TaskOptionsSchema } from '@spectest/contracts';

/**
 * A task's options as a stage reads them back. They were validated at submit, so failing here means the
 * stored row is damaged: no retry can help, the task fails at once with `task_data_missing`.
 */
export function storedOptions(raw: unknown): TaskOptions {
  const parsed = TaskOptionsSchema.safeParse(raw);
  if (!parsed.success) throw new AppError('task_data_missing', `the stored options of this task are unreadable: ${parsed.error.issues[0]?.message ?? 'invalid'}`);
  return parsed.data;
}
