export * from './progress.writer';
export * from './progress.config';
export * from './task-event.hub';
export * from './feed-sink';
export { LogUnreadableError } from './feed-log-reader';
export * from './task-feeds';
export * from './progress.module';
export * from './stage.reporter';
