import { Endpoint } from '@spectest/contracts';

export interface EndpointInclude {
  tags?: string[];
  paths?: string[];
}

/**
 * Keeps the endpoints the caller asked for. Tags match exactly (case-insensitive); a path entry matches
 * the path exactly, or as a glob where `*` stands for any characters (`/pets*`, `/orders/*`).
 * Given both, an endpoint must match both; an empty or absent list does not filter.
 */
export function filterEndpoints(endpoints: Endpoint[], include?: EndpointInclude): Endpoint[] {
  const tags = include?.tags?.length ? new Set(include.tags.map((t) => t.toLowerCase())) : null;
  const paths = include?.paths?.length ? include.paths.map(pathMatcher) : null;
  return endpoints.filter(
    (endpoint) =>
      (!tags || endpoint.tags.some((t) => tags.has(t.toLowerCase()))) &&
      (!paths || paths.some((matches) => matches(endpoint.path))),
  );
}

function pathMatcher(pattern: string): (path: string) => boolean {
  if (!pattern.includes('*')) return (path) => path === pattern;
  const source = pattern.split('*').map(escapeRegExp).join('.*');
  const regex = new RegExp(`^${source}$`);
  return (path) => regex.test(path);
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}
