import { Endpoint } from '@spectest/contracts';
import { OperationResolver, RECURSION_CUT_KEY } from './operation-resolver';
import { describeLocal } from './ref-graph';

/** Recursive schemas named one by one in the warnings; past this many, one line says how many more. */
const LISTED_RECURSIVE = 20;
/** The planning loop gives the event loop a turn this often, so progress heartbeats keep flowing. */
const YIELD_EVERY_MS = 100;

/**
 * Checks that every local reference of the document points at something, then plans each operation's
 * view (which also refuses an operation over the per-operation limits). Returns the warnings.
 */
export async function planOperations(resolver: OperationResolver, endpoints: Endpoint[]): Promise<string[]> {
  const document = resolver.document;
  // Every reference points at something, and no chain of references to references loops.
  for (const ref of describeLocal(document).refs.keys()) resolver.dereferenced({ $ref: ref });
  await yieldToEventLoop();

  let nestingCut = false;
  const reduced: { key: string; nesting: number }[] = [];
  let lastYield = performance.now();
  for (const endpoint of endpoints) {
    const plan = resolver.plan(endpoint);
    if (plan.nesting < resolver.limits.maxSchemaNesting) reduced.push({ key: endpoint.key, nesting: plan.nesting });
    else nestingCut ||= plan.nestingCut;
    if (performance.now() - lastYield > YIELD_EVERY_MS) {
      await yieldToEventLoop();
      lastYield = performance.now();
    }
  }

  const warnings = recursiveSchemas(resolver, endpoints).map(
    (ref) => `Recursive schema ${ref} was cut where it refers to itself; cases do not go deeper than one level of it`,
  );
  const extra = warnings.length - LISTED_RECURSIVE;
  if (extra > 0) warnings.splice(LISTED_RECURSIVE, extra, `${extra} more recursive schemas were cut the same way`);
  if (nestingCut) {
    warnings.push(`Named schemas nested more than ${resolver.limits.maxSchemaNesting} deep were not expanded further (marked ${RECURSION_CUT_KEY})`);
  }
  if (reduced.length > 0) {
    const example = reduced[0];
    warnings.push(
      `${reduced.length} operation(s) expand named schemas less deep than ${resolver.limits.maxSchemaNesting} (e.g. ${example.key}: ${example.nesting}), ` +
        'because their full expansion passes the per-operation limits (SPEC_MAX_EXPANDED_NODES, SPEC_MAX_EXPANDED_BYTES)',
    );
  }
  return warnings;
}

/** Lets due timers (a progress heartbeat) run between long synchronous parts of reading a spec. */
export function yieldToEventLoop(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

/** The recursive references reachable from the listed operations, sorted. */
function recursiveSchemas(resolver: OperationResolver, endpoints: Endpoint[]): string[] {
  const seen = new Set<string>();
  const queue: string[] = [];
  const visit = (ref: string) => {
    if (!seen.has(ref)) {
      seen.add(ref);
      queue.push(ref);
    }
  };
  for (const path of new Set(endpoints.map((e) => e.path))) {
    for (const ref of describeLocal(resolver.pathItem(path)).refs.keys()) visit(ref);
  }
  while (queue.length > 0) for (const ref of resolver.graph.info(queue.pop()!).refs.keys()) visit(ref);
  return [...seen].filter((ref) => resolver.graph.isRecursive(ref)).sort();
}
