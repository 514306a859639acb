import { AppError } from '@spectest/contracts';
import { toJsonPointer } from './json-pointer';

/** Marker key left where a recursive schema was cut; the value is the pointer of the schema. */
export const RECURSION_CUT_KEY = 'x-spectest-recursive-ref';

export interface RecursionCutOptions {
  /** Output nesting beyond which everything is cut, so the stack and the JSON stay bounded. */
  maxDepth: number;
  /** Nodes the tree may have: shared sub-schemas are copied, and copies of copies can grow exponentially. */
  maxNodes: number;
}

export const DEFAULT_RECURSION_CUT: RecursionCutOptions = { maxDepth: 400, maxNodes: 2_000_000 };

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

  const copy = (value: unknown, path: (string | number)[]): unknown => {
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
    if (++nodes > options.maxNodes) {
      throw new AppError(
        'spec_too_large',
        `The dereferenced spec has more than ${options.maxNodes} nodes (shared schemas are expanded where used).`,
        413,
      );
    }
    onPath.add(value);
    try {
      if (Array.isArray(value)) return value.map((item, index) => copy(item, [...path, index]));
      const out: Record<string, unknown> = {};
      for (const [key, child] of Object.entries(value)) out[key] = copy(child, [...path, key]);
      return out;
    } finally {
      onPath.delete(value);
    }
  };

  const document = copy(graph, []) as Record<string, unknown>;
  const warnings = [...cutNames]
    .sort()
    .map((name) => `Recursive schema ${name} was cut where it refers to itself; cases do not go deeper than one level of it`);
  if (depthCut) warnings.push(`Schemas nested deeper than ${options.maxDepth} levels were cut`);
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
