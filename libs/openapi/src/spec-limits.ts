/** Resource limits applied while reading a spec; each guards a different way a document can exhaust us. */
export interface SpecLimits {
  /** Size of the text (or of the JSON of an object input), in bytes. Over it: `spec_too_large`. */
  maxBytes: number;
  /** Nesting of objects and arrays in the document as written. Over it: `spec_too_deep`. */
  maxDepth: number;
  /** YAML alias expansions (billion-laughs guard), passed to yaml's `maxAliasCount`. Over it: `spec_too_large`. */
  maxAliases: number;
  /** Operations (method + path) in the document. Over it: `too_many_operations`. */
  maxOperations: number;
  /** Named schemas expanded inside one another in one operation's resolved view before the next is left as a marker. */
  maxSchemaNesting: number;
  /**
   * Nodes of ONE operation's resolved view (parameters, request body, responses), shared schemas counted
   * where used. An operation over it is expanded less deep (a warning says so); over it even with no named
   * schema expanded: `spec_too_large`. The document itself keeps its references and is never expanded whole.
   */
  maxExpandedNodes: number;
  /** Approximate JSON bytes of ONE operation's resolved view; handled like maxExpandedNodes. */
  maxExpandedBytes: number;
}

export const DEFAULT_SPEC_LIMITS: Readonly<SpecLimits> = Object.freeze({
  maxBytes: 50 * 1024 * 1024,
  maxDepth: 200,
  maxAliases: 1000,
  maxOperations: 30_000,
  maxSchemaNesting: 8,
  maxExpandedNodes: 20_000,
  maxExpandedBytes: 4 * 1024 * 1024,
});

export function resolveSpecLimits(limits?: Partial<SpecLimits>): SpecLimits {
  const merged = { ...DEFAULT_SPEC_LIMITS, ...stripUndefined(limits ?? {}) };
  for (const [name, value] of Object.entries(merged)) {
    if (!Number.isInteger(value) || value < 0) {
      throw new RangeError(`Spec limit ${name} must be a non-negative integer, got ${String(value)}`);
    }
  }
  return merged;
}

function stripUndefined(limits: Partial<SpecLimits>): Partial<SpecLimits> {
  return Object.fromEntries(Object.entries(limits).filter(([, v]) => v !== undefined));
}
