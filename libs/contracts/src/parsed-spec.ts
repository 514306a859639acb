import type { Endpoint } from './cases.schemas';

/**
 * A spec after the parsing stage: what every later stage reads, and what the parsing stage stores for
 * them. readSpec (libs/openapi) makes it; persistence stores and loads it. JSON-serialisable throughout.
 */
export interface ParsedSpec {
  title: string;
  version: string;
  /** The version the source document declared ("2.0", "3.0.3", "3.1.0"), before any conversion. */
  openapiVersion: string;
  /**
   * The normalised OpenAPI 3.x document, bundled: validated, Swagger 2.0 converted, local `$ref`s kept
   * (never an external one). Read an operation through `resolveOperation` (libs/openapi), which resolves its references.
   */
  document: Record<string, unknown>;
  endpoints: Endpoint[];
  warnings: string[];
}
