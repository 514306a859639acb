/**
 * The browser build of the SDK (`dist/browser/spectest-client.js`, one script that defines
 * `window.SpectestClient`), served by intake at `/sdk/spectest-client.js` for the web page: the same
 * watch (Socket.IO, SSE fallback, polling, reconnect, resume by seq) and the one terminal check.
 */
export { watchTask } from './watch-task';
export { backoffDelay } from './backoff';
export { isTerminalEvent, isTerminalStatus } from '@spectest/contracts';
