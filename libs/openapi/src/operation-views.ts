import { Endpoint } from '@spectest/contracts';
import { OperationResolver, ResolvedOperation } from './operation-resolver';
import { DEFAULT_SPEC_LIMITS, SpecLimits } from './spec-limits';

/** One resolver per document object: its memoised expansions are shared by every view of that document. */
const resolvers = new WeakMap<object, OperationResolver>();

/**
 * The resolver of a bundled document: the one readSpec made with the limits it applied, or (a document
 * read back from storage) a new one with `limits`, the defaults unless given.
 */
export function resolverFor(document: Record<string, unknown>, limits: Partial<SpecLimits> = {}): OperationResolver {
  let resolver = resolvers.get(document);
  if (!resolver) {
    const merged = { ...DEFAULT_SPEC_LIMITS, ...limits };
    resolver = new OperationResolver(document, {
      maxSchemaNesting: merged.maxSchemaNesting,
      maxNodes: merged.maxExpandedNodes,
      maxBytes: merged.maxExpandedBytes,
    });
    resolvers.set(document, resolver);
  }
  return resolver;
}

/**
 * One operation of a bundled document with its local references resolved (parameters, request body, responses),
 * expanded within `limits` (pass the ones the document was read with: the first call for a document decides).
 */
export function resolveOperation(
  document: Record<string, unknown>,
  endpoint: Pick<Endpoint, 'key' | 'method' | 'path'>,
  limits: Partial<SpecLimits> = {},
): ResolvedOperation {
  return resolverFor(document, limits).resolve(endpoint);
}
