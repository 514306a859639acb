import { TaskResult } from '@spectest/contracts';
import { NatsMessaging } from '@spectest/messaging';
import { createDataSource } from '@spectest/persistence';
import { MessagingEventPublisher, NewTaskInput, ProgressWriter } from '@spectest/progress';
import { DataSource } from 'typeorm';
import { sampleTaskInput } from '../../support/task-input';

const quiet = { info: () => undefined, warn: () => undefined, error: () => undefined };
const RESULT: TaskResult = { caseCount: 1, foundationCaseCount: 1, aiCaseCount: 0, artifact: { url: 'u', bytes: 1, sha256: 's' } };

/**
 * Plays a worker from the test process: creates tasks and writes their events through the real
 * ProgressWriter (Postgres commit, then NATS publish), as fast or as slow as a test needs.
 */
export class TaskEmitter {
  private constructor(
    private readonly ds: DataSource,
    private readonly bus: NatsMessaging,
    private readonly writer: ProgressWriter,
  ) {}

  static async connect(databaseUrl: string, natsUrl: string, natsPrefix: string): Promise<TaskEmitter> {
    const ds = createDataSource({ url: databaseUrl, poolSize: 4 });
    await ds.initialize();
    const bus = await NatsMessaging.connect({ url: natsUrl, prefix: natsPrefix, logger: quiet });
    return new TaskEmitter(ds, bus, new ProgressWriter(ds, new MessagingEventPublisher(bus)));
  }

  async createTask(tenant: string): Promise<string> {
    const input: NewTaskInput = sampleTaskInput({ tenant, name: 'realtime' });
    await this.writer.createTask(input);
    return input.taskId;
  }

  /** `count` progress events in the enhancing stage; returns the last seq. */
  async progress(taskId: string, count: number): Promise<number> {
    let seq = 0;
    for (let i = 0; i < count; i++) {
      const r = await this.writer.report(taskId, {
        stage: 'enhancing',
        stageProgress: Math.min(1, (i + 1) / (count + 1)),
        messageKey: 'enhancing.calling',
        messageParams: { method: 'GET', path: `/p${i}` },
      });
      if (!r.ok) throw new Error(r.detail);
      seq = r.event.seq;
    }
    return seq;
  }

  async complete(taskId: string): Promise<number> {
    const r = await this.writer.report(taskId, { type: 'completed', messageKey: 'task.completed', messageParams: { caseCount: 1 }, result: RESULT });
    if (!r.ok) throw new Error(r.detail);
    return r.event.seq;
  }

  /** Writes `batches` x `perBatch` progress events with a pause between batches, then completes; returns the last seq. */
  async run(taskId: string, batches: number, perBatch: number, pauseMs: number): Promise<number> {
    for (let b = 0; b < batches; b++) {
      await this.progress(taskId, perBatch);
      await new Promise((r) => setTimeout(r, pauseMs));
    }
    return this.complete(taskId);
  }

  async close(): Promise<void> {
    await this.bus.close();
    await this.ds.destroy();
  }
}
