import { Endpoint } from '@spectest/contracts';

/** A spec after the parsing stage: what every later stage reads. JSON-serialisable throughout. */
export interface ParsedSpec {
  title: string;
  version: string;
  /** The version the source document declared ("2.0", "3.0.3", "3.1.0"), before any conversion. */
  openapiVersion: string;
  /**
   * The normalised OpenAPI 3.x document, bundled: validated, Swagger 2.0 converted, local `$ref`s kept
   * (never an external one). Read an operation through `viewOperation`, which resolves its references.
   */
  document: Record<string, unknown>;
  endpoints: Endpoint[];
  warnings: string[];
}

/**
 * Sub-steps of readSpec, reported as each starts. "dereference" checks every `$ref` and plans each
 * operation's resolved view (the document itself is never dereferenced whole).
 */
export type ReadSpecStep = 'read' | 'validate' | 'dereference' | 'endpoints';
export type ReadSpecStepListener = (step: ReadSpecStep) => void | Promise<void>;
