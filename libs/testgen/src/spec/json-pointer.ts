/** RFC 6901 pointer of a path of keys, as `#/a/b~1c` so it reads like a `$ref`. */
export function toJsonPointer(path: readonly (string | number)[]): string {
  return '#' + path.map((key) => '/' + String(key).replace(/~/g, '~0').replace(/\//g, '~1')).join('');
}
