import { invalidSpec } from './spec-errors';
import { describe } from './spec-text.parser';

export type SpecFlavour = 'swagger2' | 'openapi30' | 'openapi31';

export interface DetectedVersion {
  flavour: SpecFlavour;
  /** The version string as the document states it, e.g. "2.0" or "3.1.0". */
  source: string;
}

/** Says which kind of document this is, or why it is not one we can read. */
export function detectOpenApiVersion(doc: unknown): DetectedVersion {
  if (doc === null || typeof doc !== 'object' || Array.isArray(doc)) {
    throw invalidSpec(
      `The spec is ${describe(doc)}, not an OpenAPI document: expected an object with an "openapi" (3.x) or "swagger" (2.0) field.`,
    );
  }
  const record = doc as Record<string, unknown>;
  if (record.openapi !== undefined) {
    const version = String(record.openapi);
    if (/^3\.0(\.\d+)?$/.test(version)) return { flavour: 'openapi30', source: version };
    if (/^3\.1(\.\d+)?$/.test(version)) return { flavour: 'openapi31', source: version };
    throw invalidSpec(`OpenAPI version "${version}" is not supported: use 3.0.x, 3.1.x or Swagger 2.0.`);
  }
  if (record.swagger !== undefined) {
    const version = String(record.swagger);
    if (version === '2.0') return { flavour: 'swagger2', source: version };
    throw invalidSpec(`Swagger version "${version}" is not supported: only Swagger 2.0 (or OpenAPI 3.x) is.`);
  }
  throw invalidSpec(
    'This is not an OpenAPI document: it has neither an "openapi" field (OpenAPI 3.x) nor a "swagger" field (Swagger 2.0).',
  );
}
