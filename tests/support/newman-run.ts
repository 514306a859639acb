// newman has no bundled types; the little of it used here is typed below.
// eslint-disable-next-line @typescript-eslint/no-require-imports
const newman = require('newman') as { run(options: Record<string, unknown>, done: (error: Error | null, summary: NewmanSummary) => void): void };

interface NewmanSummary {
  run: {
    executions: { item: { name: string }; response?: { code: number } }[];
    /** Failed assertions, script errors (a test script that does not compile) and request errors. */
    failures: { error: { name: string; message: string; test?: string }; at: string; source?: { name?: string } }[];
  };
}

export interface NewmanRun {
  /** Requests sent. */
  executed: number;
  /** Failed requests by item name (= case title), with the failed assertions' messages. */
  failures: Map<string, string>;
  /** The status each request was answered, by item name (null: no answer). */
  statuses: Map<string, number | null>;
}

/** Runs a generated Postman collection with newman as a library, as a CI job would with the CLI. */
export function runNewman(collection: unknown, environment: unknown, baseUrl: string): Promise<NewmanRun> {
  return new Promise((resolve, reject) => {
    newman.run(
      { collection, environment, envVar: [{ key: 'baseUrl', value: baseUrl }], reporters: [], timeoutRequest: 30_000 },
      (error, summary) => {
        if (error) return reject(error);
        const failures = new Map<string, string>();
        for (const failure of summary.run.failures) {
          const name = failure.source?.name ?? '(collection)';
          const line = `${failure.at} ${failure.error.test ?? failure.error.name}: ${failure.error.message}`;
          failures.set(name, failures.has(name) ? `${failures.get(name)}\n${line}` : line);
        }
        const statuses = new Map(summary.run.executions.map((execution) => [execution.item.name, execution.response?.code ?? null]));
        resolve({ executed: summary.run.executions.length, failures, statuses });
      },
    );
  });
}
