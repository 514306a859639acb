/** RFC 6901 pointer of a path of keys, as `#/a/b~1c` so it reads like a `$ref`. */
export function toJsonPointer(path: readonly (string | number)[]): string {
  return '#' + path.map((key) => '/' + String(key).replace(/~/g, '~0').replace(/\//g, '~1')).join('');
}

/**
 * The keys of a local `$ref` (`#/components/schemas/Pet` -> ["components", "schemas", "Pet"]), or null
 * when it is not a pointer into this document. The fragment is URI-encoded in some specs (`%7B`), so it is
 * decoded first, then the ~1 / ~0 escapes.
 */
export function parseJsonPointer(ref: string): string[] | null {
  if (!ref.startsWith('#')) return null;
  let fragment = ref.slice(1);
  try {
    fragment = decodeURIComponent(fragment);
  } catch {
    // A lone "%" is a literal percent sign; the pointer is used as written.
  }
  if (fragment === '') return [];
  if (!fragment.startsWith('/')) return null;
  return fragment
    .slice(1)
    .split('/')
    .map((key) => key.replace(/~1/g, '/').replace(/~0/g, '~'));
}

/** The value a local `$ref` points at, or undefined when there is none. Own properties only. */
export function resolveJsonPointer(document: unknown, ref: string): unknown {
  const keys = parseJsonPointer(ref);
  if (!keys) return undefined;
  let value: unknown = document;
  for (const key of keys) {
    if (value === null || typeof value !== 'object' || !Object.prototype.hasOwnProperty.call(value, key)) return undefined;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}
