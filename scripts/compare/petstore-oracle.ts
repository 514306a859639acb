import { TestCase } from '@spectest/contracts';
import { buildArtifactFiles } from '@spectest/artifact';
import { PETSTORE_FAULTS, startPetstoreServer } from '../../tests/support/petstore-server';
import { runNewman } from '../../tests/support/newman-run';

export interface OracleRun {
  requests: number;
  /** Requests with a failed check against the faithful petstore: false alarms. */
  faithfulFailures: number;
  /** Requests with a failed check against the petstore with four faults: what the suite notices. */
  faultyFailures: number;
  /** First false alarms, for the reading. */
  falseAlarms: string[];
}

/** Our Postman collection of petstore, as the ZIP carries it. */
export function ourPetstoreCollection(spec: { title: string; version: string; document: unknown }, cases: TestCase[]): { collection: unknown; environment: unknown } {
  const files = buildArtifactFiles({ ...spec, cases, formats: ['postman'], report: { warnings: [], stageTimings: [] } });
  const file = (path: string) => JSON.parse(files.find((f) => f.path === path)!.content as string) as unknown;
  return { collection: file('postman/collection.json'), environment: file('postman/environment.json') };
}

/**
 * Runs a collection with newman against the repo's faithful petstore and against the one with four
 * faults (tests/support/petstore-server.ts): a suite should pass the first and fail on the second.
 */
export async function judgeOnPetstore(collection: unknown, environment: unknown): Promise<OracleRun> {
  const faithful = await startPetstoreServer();
  let good;
  try {
    good = await runNewman(collection, environment ?? { values: [] }, faithful.url);
  } finally {
    await faithful.close();
  }
  const faulty = await startPetstoreServer({ faults: [...PETSTORE_FAULTS] });
  try {
    const bad = await runNewman(collection, environment ?? { values: [] }, faulty.url);
    return {
      requests: good.executed,
      faithfulFailures: good.failures.size,
      faultyFailures: bad.failures.size,
      falseAlarms: [...good.failures.entries()].slice(0, 5).map(([name, why]) => `${name}: ${why.split('\n')[0]}`),
    };
  } finally {
    await faulty.close();
  }
}
