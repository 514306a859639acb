import { Inject, Injectable } from '@nestjs/common';
import { AppError, TaskSnapshot, subjects } from '@spectest/contracts';
import { MESSAGING, Messaging } from '@spectest/messaging';
import { TaskStore } from '@spectest/persistence';
import { ProgressWriter } from '@spectest/progress';
import { taskNotFound } from './intake.errors';

/** Cancel: the terminal event first (so nothing can be emitted after it), then tell workers to abort. */
@Injectable()
export class TaskCancelService {
  constructor(
    private readonly tasks: TaskStore,
    private readonly writer: ProgressWriter,
    @Inject(MESSAGING) private readonly messaging: Messaging,
  ) {}

  async cancel(taskId: string, tenant: string): Promise<TaskSnapshot> {
    const record = await this.tasks.getForTenant(taskId, tenant);
    if (!record) throw taskNotFound();
    const result = await this.writer.report(taskId, { type: 'cancelled', messageKey: 'task.cancelled' });
    if (!result.ok) {
      if (result.reason === 'task_ended') throw new AppError('conflict', `the task has already ${record.snapshot.status === 'queued' ? 'ended' : 'ended'}`, 409);
      throw new AppError('internal', 'the task could not be cancelled', 500);
    }
    await this.messaging.publish(subjects.taskControl(taskId), { taskId, action: 'cancel', reason: 'cancelled by the user' });
    return result.snapshot;
  }
}
