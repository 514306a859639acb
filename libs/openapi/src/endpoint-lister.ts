import { AppError, Endpoint, HTTP_METHODS, HttpMethod } from '@spectest/contracts';
import { resolveJsonPointer } from './json-pointer';

type PathItem = Record<string, unknown>;

/** Operations of a document in document order (paths as written, methods in HTTP_METHODS order). */
export function listEndpoints(document: Record<string, unknown>): Endpoint[] {
  const endpoints: Endpoint[] = [];
  for (const [path, item] of pathItems(document)) {
    for (const method of HTTP_METHODS) {
      const operation = item[method];
      if (!operation || typeof operation !== 'object') continue;
      const op = operation as Record<string, unknown>;
      const tags = Array.isArray(op.tags) ? op.tags.filter((t): t is string => typeof t === 'string') : [];
      endpoints.push({
        key: endpointKey(method, path),
        method,
        path,
        operationId: typeof op.operationId === 'string' ? op.operationId : null,
        summary: typeof op.summary === 'string' ? op.summary : null,
        tags,
        group: groupName(tags[0], path),
      });
    }
  }
  return endpoints;
}

/** Counted on the raw document too, so a huge spec is refused before validation spends time on it. */
export function assertOperationCountWithin(document: Record<string, unknown>, maxOperations: number): number {
  let count = 0;
  for (const [, item] of pathItems(document)) {
    for (const method of HTTP_METHODS) if (item[method] && typeof item[method] === 'object') count++;
  }
  if (count > maxOperations) {
    throw new AppError(
      'too_many_operations',
      `The spec has ${count} operations; the limit is ${maxOperations}. Use options.include to pick tags or paths, or split the spec.`,
      400,
    );
  }
  return count;
}

export function endpointKey(method: HttpMethod, path: string): string {
  return `${method.toUpperCase()} ${path}`;
}

/** The first tag, else the first path segment, made safe as a file name on every OS. */
export function groupName(firstTag: string | undefined, path: string): string {
  const segment = path.split('/').find((s) => s !== '') ?? 'root';
  return sanitizeFileName(firstTag ?? segment) || sanitizeFileName(segment) || 'root';
}

export function sanitizeFileName(raw: string): string {
  return raw
    .toLowerCase()
    .replace(/[{}]/g, '')
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[-.]+|[-.]+$/g, '')
    .slice(0, 64);
}

/** Path items as written, or what a path item's `$ref` points at (the document keeps its references). */
function pathItems(document: Record<string, unknown>): [string, PathItem][] {
  const paths = document.paths;
  if (!paths || typeof paths !== 'object') return [];
  return Object.entries(paths as Record<string, unknown>)
    .map(([path, item]): [string, unknown] => {
      const ref = item !== null && typeof item === 'object' ? (item as { $ref?: unknown }).$ref : undefined;
      return [path, typeof ref === 'string' ? resolveJsonPointer(document, ref) : item];
    })
    .filter((entry): entry is [string, PathItem] => entry[1] !== null && typeof entry[1] === 'object' && !Array.isArray(entry[1]));
}
