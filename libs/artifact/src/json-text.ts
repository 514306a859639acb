/** Pieces are gathered to about this many characters before they are handed on. */
const CHUNK_CHARS = 256 * 1024;

/**
 * The text of `JSON.stringify({ ...head, [key]: [...items], ...tail() }, null, 2)` plus a newline, byte for
 * byte, in pieces of about 256 KiB: each item is written as it comes and let go, so the array is never
 * held whole; `tail` is called after the last item, for what the items gathered on the way.
 */
export function* prettyJsonWithArray(
  head: Record<string, unknown>,
  key: string,
  items: Iterable<unknown>,
  tail: () => Record<string, unknown> = () => ({}),
): Generator<string> {
  let buffer = '{';
  let fields = 0;
  const field = (name: string, value: unknown) => {
    if (value === undefined) return;
    buffer += `${fields++ === 0 ? '\n' : ',\n'}  ${JSON.stringify(name)}: ${nestedJson(value, 1)}`;
  };
  for (const [name, value] of Object.entries(head)) field(name, value);
  buffer += `${fields++ === 0 ? '\n' : ',\n'}  ${JSON.stringify(key)}: [`;
  let count = 0;
  for (const item of items) {
    // A JSON text has no raw newline inside a string, so indenting every newline nests it two levels down.
    buffer += `${count++ === 0 ? '\n' : ',\n'}    ${nestedJson(item, 2)}`;
    if (buffer.length >= CHUNK_CHARS) {
      yield buffer;
      buffer = '';
    }
  }
  buffer += count > 0 ? '\n  ]' : ']';
  for (const [name, value] of Object.entries(tail())) field(name, value);
  yield `${buffer}\n}\n`;
}

/** JSON.stringify(value, null, 2) as it reads `depth` levels down in a pretty-printed document. */
export function nestedJson(value: unknown, depth: number): string {
  return JSON.stringify(value, null, 2).replace(/\n/g, '\n' + '  '.repeat(depth));
}
