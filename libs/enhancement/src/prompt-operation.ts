import { Endpoint } from '@spectest/contracts';
import { SpecLimits, resolveOperation } from '@spectest/openapi';

type Parameter = { name: string; in: string };

/**
 * The operation the model is shown. The stored document keeps its $refs: the operation is resolved (parameters
 * and body expanded within `limits`, response schemas as references, which is also how its cases store them),
 * path-level parameters included (operation-level wins by name+in).
 */
export function promptOperation(document: Record<string, unknown>, endpoint: Endpoint, limits: Partial<SpecLimits>): object {
  const { pathItem, operation } = resolveOperation(document, endpoint, limits);
  const op = operation as { parameters?: Parameter[] };
  const own = op.parameters ?? [];
  const shared = ((pathItem.parameters ?? []) as Parameter[]).filter((p) => !own.some((o) => o.name === p.name && o.in === p.in));
  return { ...op, parameters: [...shared, ...own] };
}
