import { AppError } from '@spectest/contracts';
import { toJsonPointer } from './json-pointer';

/**
 * Refuses every `$ref` that is not a pointer into this document, before any resolver runs:
 * a spec from a stranger must never make us fetch a URL or read a file (SSRF, local file disclosure).
 */
export function assertOnlyLocalRefs(doc: unknown): void {
  const offenders: { pointer: string; ref: string }[] = [];
  const stack: { value: unknown; path: (string | number)[] }[] = [{ value: doc, path: [] }];
  while (stack.length > 0 && offenders.length < 20) {
    const { value, path } = stack.pop()!;
    if (value === null || typeof value !== 'object') continue;
    for (const [key, child] of Object.entries(value)) {
      const childPath = [...path, key];
      if (key === '$ref' && typeof child === 'string' && !child.startsWith('#')) {
        offenders.push({ pointer: toJsonPointer(childPath), ref: String(child) });
      } else if (child !== null && typeof child === 'object') {
        stack.push({ value: child, path: childPath });
      }
    }
  }
  if (offenders.length > 0) {
    offenders.sort((a, b) => (a.pointer < b.pointer ? -1 : a.pointer > b.pointer ? 1 : 0));
    const first = offenders[0];
    throw new AppError(
      'external_ref',
      `The spec has a $ref to "${first.ref}" at ${first.pointer}; only local references ("#/...") are allowed. ` +
        'Bundle the document into one file (e.g. `redocly bundle` or `swagger-cli bundle`) and send that.',
      400,
      offenders,
    );
  }
}
