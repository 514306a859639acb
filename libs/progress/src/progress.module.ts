import { Global, Logger, Module } from '@nestjs/common';
import { MESSAGING, Messaging } from '@spectest/messaging';
import { TaskStore } from '@spectest/persistence';
import { DataSource } from 'typeorm';
import { MessagingEventPublisher, ProgressWriter } from './progress.writer';
import { TaskEventHub } from './task-event.hub';
import { TaskEventStreams } from './task-event.stream';

const logger = new Logger('Progress');

/** The event writer and the readers of the event log, for any service that reports or streams progress. */
@Global()
@Module({
  providers: [
    {
      provide: ProgressWriter,
      useFactory: (ds: DataSource, messaging: Messaging) =>
        new ProgressWriter(
          ds,
          new MessagingEventPublisher(messaging, (err, e) =>
            logger.warn({ taskId: e.taskId, seq: e.seq, err: String(err) }, 'event committed but not published; subscribers will poll it'),
          ),
        ),
      inject: [DataSource, MESSAGING],
    },
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
  exports: [ProgressWriter, TaskEventHub, TaskEventStreams],
})
export class ProgressModule {}
