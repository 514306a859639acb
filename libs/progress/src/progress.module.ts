import { BeforeApplicationShutdown, DynamicModule, Inject, Injectable, Logger, Module, OnApplicationShutdown } from '@nestjs/common';
import { MESSAGING, Messaging } from '@spectest/messaging';
import { DispatchStore, TaskStore } from '@spectest/persistence';
import { DataSource } from 'typeorm';
import { DispatchOutbox } from './dispatch-outbox';
import { ProgressModuleOptions } from './progress.config';
import { StageRunner } from './stage-run';
import { TaskDispatcher } from './task-dispatcher';
import { MessagingEventPublisher, ProgressWriter } from './progress.writer';
import { TaskEventHub } from './task-event.hub';
import { TaskEventStreams } from './task-event.stream';

const logger = new Logger('Progress');

/**
 * Commits the reports still queued before the pool closes, so SIGTERM loses no accepted report.
 * beforeApplicationShutdown runs while the pool surely lives; onApplicationShutdown runs after the
 * transports closed (work in flight has reported) and, this module being registered after
 * DatabaseModule, before that module destroys the pool: there the writer drains and closes.
 */
@Injectable()
class ProgressWriterCloser implements BeforeApplicationShutdown, OnApplicationShutdown {
  constructor(@Inject(ProgressWriter) private readonly writer: ProgressWriter) {}
  async beforeApplicationShutdown(): Promise<void> {
    await this.writer.drain();
  }
  async onApplicationShutdown(): Promise<void> {
    await this.writer.close();
  }
}

/**
 * The event writer and the readers of the event log, for any service that reports or streams progress.
 * Global, imported once per process with the service's parsed config.
 */
@Module({})
export class ProgressModule {
  static forRoot(options: ProgressModuleOptions): DynamicModule {
    return {
      module: ProgressModule,
      global: true,
      providers: [
        {
          provide: ProgressWriter,
          useFactory: (ds: DataSource, messaging: Messaging) =>
            new ProgressWriter(
              ds,
              new MessagingEventPublisher(messaging, (err, e) =>
                logger.warn({ taskId: e.taskId, seq: e.seq, err: String(err) }, 'event committed but not published; subscribers will poll it'),
              ),
              {
                maxBatch: options.maxBatch,
                onBatchFailed: (err, reports) => logger.warn({ reports, err: String(err) }, 'event batch failed; retrying its reports one by one'),
              },
            ),
          inject: [DataSource, MESSAGING],
        },
        ProgressWriterCloser,
        {
          provide: TaskDispatcher,
          useFactory: (store: DispatchStore, messaging: Messaging) => new TaskDispatcher(store, messaging),
          inject: [DispatchStore, MESSAGING],
        },
        {
          provide: StageRunner,
          useFactory: (store: DispatchStore, writer: ProgressWriter, dispatcher: TaskDispatcher) => new StageRunner(store, writer, dispatcher),
          inject: [DispatchStore, ProgressWriter, TaskDispatcher],
        },
        ...(options.dispatchOutbox ? [DispatchOutbox] : []),
        {
          provide: TaskEventHub,
          useFactory: (messaging: Messaging) =>
            new TaskEventHub(messaging, (subject, detail) => logger.warn({ subject, detail }, 'invalid event on the bus ignored')),
          inject: [MESSAGING],
        },
        {
          provide: TaskEventStreams,
          useFactory: (store: TaskStore, hub: TaskEventHub) => new TaskEventStreams(store, hub),
          inject: [TaskStore, TaskEventHub],
        },
      ],
      exports: [ProgressWriter, TaskEventHub, TaskEventStreams, TaskDispatcher, StageRunner],
    };
  }
}
