import { AppError } from '@spectest/contracts';
import { toJsonPointer } from './json-pointer';

const OMIT = Symbol('omit');
/** Keys whose content is data (an example, a default), not schema: a "description" in there is a value and stays. */
const VALUE_KEYS = new Set(['example', 'examples', 'default', 'enum', 'const']);

/** Marker key left where a recursive schema was cut; the value is the pointer of the schema. */
export const RECURSION_CUT_KEY = 'x-spectest-recursive-ref';

export interface RecursionCutOptions {
  /** Output nesting beyond which everything is cut, so the stack and the JSON stay bounded. */
  maxDepth: number;
  /** Nodes the tree may have: shared sub-schemas are copied, and copies of copies can grow exponentially. */
  maxNodes: number;
  /**
   * Named schemas (components/schemas) expanded inside one another on a path before the next one is cut.
   * Densely linked specs (Stripe, DocuSign) otherwise expand into billions of nodes without any recursion:
   * every acyclic path through hundreds of schemas becomes a copy.
   */
  maxSchemaNesting: number;
  /** Approximate JSON size of the tree: it is stored (Postgres jsonb caps a value at 255 MB) and shipped in the ZIP. */
  maxBytes: number;
}

export const DEFAULT_RECURSION_CUT: RecursionCutOptions = {
  maxDepth: 400,
  maxNodes: 2_000_000,
  maxSchemaNesting: 8,
  maxBytes: 128 * 1024 * 1024,
};

/**
 * Turns swagger-parser's dereferenced graph (shared objects, cycles) into a plain tree that
 * JSON.stringify can print: an object is never expanded inside itself; there it becomes a marker.
 */
export function cutRecursion(
  graph: Record<string, unknown>,
  options: RecursionCutOptions = DEFAULT_RECURSION_CUT,
): { document: Record<string, unknown>; warnings: string[] } {
  const names = namedSchemas(graph);
  const cutNames = new Set<string>();
  const onPath = new Set<object>();
  let nodes = 0;
  let depthCut = false;
  let nestingCut = false;
  let namedOnPath = 0;
  let insideValue = 0;
  let bytes = 0;

  // One mutable path: copying it per node made big specs quadratic in their depth.
  const path: (string | number)[] = [];
  const copy = (value: unknown): unknown => {
    if (value === null || typeof value !== 'object') return value;
    const nameOf = () => names.get(value) ?? toJsonPointer(path);
    if (onPath.has(value)) {
      const name = nameOf();
      cutNames.add(name);
      return { description: `Recursive reference to ${name} (cut here)`, [RECURSION_CUT_KEY]: name };
    }
    if (path.length > options.maxDepth) {
      depthCut = true;
      return { description: `Nested deeper than ${options.maxDepth} levels (cut here)`, [RECURSION_CUT_KEY]: nameOf() };
    }
    const named = names.has(value);
    if (named && namedOnPath >= options.maxSchemaNesting) {
      nestingCut = true;
      const name = nameOf();
      return { description: `Reference to ${name}, not expanded: ${options.maxSchemaNesting} named schemas deep (cut here)`, [RECURSION_CUT_KEY]: name };
    }
    if (++nodes > options.maxNodes) {
      throw new AppError(
        'spec_too_large',
        `The dereferenced spec has more than ${options.maxNodes} nodes once shared schemas are expanded where used ` +
          `(its schemas refer to one another too densely, even with nesting cut at ${options.maxSchemaNesting} named schemas); split the spec.`,
        413,
      );
    }
    onPath.add(value);
    if (named) namedOnPath++;
    try {
      if (Array.isArray(value)) return value.map((item, index) => within(index, item));
      const out: Record<string, unknown> = {};
      for (const [key, child] of Object.entries(value)) {
        const copied = within(key, child);
        if (copied !== OMIT) out[key] = copied;
      }
      return out;
    } finally {
      onPath.delete(value);
      if (named) namedOnPath--;
    }
  };

  const within = (key: string | number, child: unknown): unknown => {
    // Prose of a schema expanded inside another named schema: its own copy under components keeps it.
    // Kubernetes' spec is 204 MiB expanded with these copies and a fraction of it without.
    if (key === 'description' && typeof child === 'string' && namedOnPath >= 2 && insideValue === 0) return OMIT;
    bytes += typeof key === 'string' ? key.length + 4 : 1;
    if (typeof child === 'string') bytes += child.length + 2;
    else if (child === null || typeof child !== 'object') bytes += 6;
    if (bytes > options.maxBytes) {
      throw new AppError(
        'spec_too_large',
        `The dereferenced spec is over ${Math.round(options.maxBytes / 1024 / 1024)} MiB of JSON once shared schemas are expanded where used; ` +
          'split the spec, or remove long descriptions from widely shared schemas.',
        413,
      );
    }
    if (child === null || typeof child !== 'object') return child;
    const value = typeof key === 'string' && VALUE_KEYS.has(key);
    path.push(key);
    if (value) insideValue++;
    try {
      return copy(child);
    } finally {
      path.pop();
      if (value) insideValue--;
    }
  };

  const document = copy(graph) as Record<string, unknown>;
  const warnings = [...cutNames]
    .sort()
    .map((name) => `Recursive schema ${name} was cut where it refers to itself; cases do not go deeper than one level of it`);
  if (depthCut) warnings.push(`Schemas nested deeper than ${options.maxDepth} levels were cut`);
  if (nestingCut) {
    warnings.push(`Named schemas nested more than ${options.maxSchemaNesting} deep were not expanded further (marked ${RECURSION_CUT_KEY})`);
  }
  return { document, warnings };
}

/** Pointers of the reusable schemas, so a cut names "#/components/schemas/Node" rather than where it was met. */
function namedSchemas(graph: Record<string, unknown>): Map<object, string> {
  const names = new Map<object, string>();
  const components = graph.components as Record<string, unknown> | undefined;
  const schemas = components?.schemas;
  if (schemas && typeof schemas === 'object') {
    for (const [name, schema] of Object.entries(schemas)) {
      if (schema && typeof schema === 'object' && !names.has(schema)) {
        names.set(schema, toJsonPointer(['components', 'schemas', name]));
      }
    }
  }
  return names;
}
