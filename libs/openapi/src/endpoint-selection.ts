import { AppError, Endpoint } from '@spectest/contracts';
import { EndpointInclude, filterEndpoints } from './endpoint-filter';
import { ParsedSpec } from '@spectest/contracts';

/**
 * The endpoints a task generates cases for, or `no_operations` saying why there are none: an empty
 * `paths`, a webhooks-only document (OpenAPI 3.1: the API calls the client, so there is no request to
 * test), or an `include` filter that matches nothing (naming the tags the spec does have).
 */
export function selectEndpoints(spec: Pick<ParsedSpec, 'document' | 'endpoints'>, include?: EndpointInclude): Endpoint[] {
  const endpoints = filterEndpoints(spec.endpoints, include);
  if (endpoints.length > 0) return endpoints;
  if (spec.endpoints.length > 0) {
    const tags = [...new Set(spec.endpoints.flatMap((e) => e.tags))].sort();
    const known = tags.length > 0 ? ` The spec's tags are: ${tags.slice(0, 20).join(', ')}${tags.length > 20 ? ', …' : ''}.` : ' The spec has no tags.';
    throw new AppError('no_operations', `None of the ${spec.endpoints.length} operations matches options.include.${known}`, 400);
  }
  const webhooks = spec.document.webhooks;
  const webhookCount = webhooks && typeof webhooks === 'object' ? Object.keys(webhooks).length : 0;
  if (webhookCount > 0) {
    throw new AppError(
      'no_operations',
      `The spec describes only webhooks (${webhookCount}, under "webhooks") and no operations under "paths": ` +
        'webhooks are requests the API sends to you, so there is no request of yours to test. Add the API\'s own paths.',
      400,
    );
  }
  throw new AppError('no_operations', 'The spec describes no operations: "paths" is missing or has no path with a method (get, post, …).', 400);
}
