export * from './progress.writer';
export * from './progress.config';
export * from './task-event.hub';
export * from './task-event.stream';
export * from './progress.module';
export * from './stage.reporter';
