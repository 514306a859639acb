/**
 * A real server the harness judges generated suites against: installed here from Debian or npm,
 * serving (or shipping) the OpenAPI document its own authors wrote, and validating its input for real.
 */
export interface RealServer {
  /** Short id for `--only` and file names. */
  id: string;
  name: string;
  /** Installs what is missing; returns the versions it runs (package -> version). */
  install(cacheRoot: string): Promise<Record<string, string>> | Record<string, string>;
  /** Starts a fresh instance (throwaway data in `workDir`), seeded with its credentials, and waits until it answers. */
  start(context: ServerContext): Promise<StartedServer>;
}

export interface ServerContext {
  repoRoot: string;
  cacheRoot: string;
  /** Empty folder for this instance's data, config and log. */
  workDir: string;
}

export interface StartedServer {
  /** http://127.0.0.1:<port>: where the API's paths start before the spec's base path. */
  origin: string;
  /** The spec text as its authors publish it. */
  spec: string;
  /** Where `spec` came from, for the report: a served URL path or a file of a package. */
  specSource: string;
  /** Credentials per security scheme name of the spec, as the server was seeded with them. */
  credentials: Record<string, string>;
  stop(): Promise<void>;
}
