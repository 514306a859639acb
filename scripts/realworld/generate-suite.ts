import { buffer } from 'node:stream/consumers';
import { readSpec, selectEndpoints, stopSpecValidator } from '@spectest/openapi';
import { buildFoundationCases } from '@spectest/cases';
import { artifactEntries, zipArtifactStream } from '@spectest/artifact';

/**
 * The one place the harness calls the generator: the ZIP the service would produce for a task
 * submitted with default options (no model, every operation, both formats), made in this process by
 * the same calls as the spec-parser and packager stages.
 */
export interface GeneratedSuite {
  zip: Buffer;
  title: string;
  version: string;
  operations: number;
  cases: number;
  warnings: string[];
}

export async function generateSuite(specText: string): Promise<GeneratedSuite> {
  const spec = await readSpec(specText);
  const endpoints = selectEndpoints(spec, undefined);
  const cases = endpoints.flatMap((endpoint) => buildFoundationCases({ ...spec, endpoints }, endpoint));
  const entries = artifactEntries({
    title: spec.title,
    version: spec.version,
    document: spec.document,
    cases,
    formats: ['node-test', 'postman'],
    report: { warnings: spec.warnings, stageTimings: [] },
  });
  const zip = await buffer(zipArtifactStream(entries));
  return { zip, title: spec.title, version: spec.version, operations: endpoints.length, cases: cases.length, warnings: spec.warnings };
}

/** Ends the generator's validation worker so the harness can exit. */
export function stopGenerator(): Promise<void> {
  return stopSpecValidator();
}
