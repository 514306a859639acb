export { watchTask } from './watch-task';
export { backoffDelay, type BackoffOptions } from './backoff';
export type { TaskWatch, WatchError, WatchHandlers, WatchOptions, WatchResult, WatchState, WatchTransport, TokenSource } from './watch.types';
