import { RunningFixture, sendError, startFixtureServer } from './fixture-http';

/**
 * Answers 404 (JSON Error { code, message }) to every request, whatever its method, path or body: a
 * wrong base URL, or a server that has none of the spec's routes. A suite run against it must pass nothing.
 */
export function startNotFoundServer(): Promise<RunningFixture> {
  return startFixtureServer((req, res, url) => {
    // Drain the body so the client is not left writing into a closed request.
    req.resume();
    req.on('end', () => sendError(res, 404, `no route ${req.method} ${url.pathname}`));
  });
}
