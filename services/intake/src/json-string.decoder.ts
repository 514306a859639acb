const BACKSLASH = 0x5c;
const SIMPLE_ESCAPES: Record<number, number> = { 0x22: 0x22, 0x5c: 0x5c, 0x2f: 0x2f, 0x62: 0x08, 0x66: 0x0c, 0x6e: 0x0a, 0x72: 0x0d, 0x74: 0x09 };

const hexAt = (raw: Uint8Array, at: number): number => parseInt(String.fromCharCode(raw[at], raw[at + 1], raw[at + 2], raw[at + 3]), 16);

function writeUtf8(out: Buffer, at: number, cp: number): number {
  if (cp < 0x80) {
    out[at] = cp;
    return at + 1;
  }
  if (cp < 0x800) {
    out[at] = 0xc0 | (cp >> 6);
    out[at + 1] = 0x80 | (cp & 0x3f);
    return at + 2;
  }
  if (cp < 0x10000) {
    out[at] = 0xe0 | (cp >> 12);
    out[at + 1] = 0x80 | ((cp >> 6) & 0x3f);
    out[at + 2] = 0x80 | (cp & 0x3f);
    return at + 3;
  }
  out[at] = 0xf0 | (cp >> 18);
  out[at + 1] = 0x80 | ((cp >> 12) & 0x3f);
  out[at + 2] = 0x80 | ((cp >> 6) & 0x3f);
  out[at + 3] = 0x80 | (cp & 0x3f);
  return at + 4;
}

interface Progress {
  from: number;
  at: number;
}

/** Decodes escapes of `raw` into `out` from `p.from` until the input position reaches `until` (or the end). */
function decodeStep(raw: Buffer, out: Buffer, p: Progress, until: number): void {
  let { from, at } = p;
  let next = raw.indexOf(BACKSLASH, from);
  while (next >= 0 && from < until) {
    // A native copy costs more than a loop for the short runs between the escapes of YAML text (`\n`).
    if (next - from > 64) at += raw.copy(out, at, from, next);
    else for (let k = from; k < next; k++) out[at++] = raw[k];
    const kind = raw[next + 1];
    if (kind !== 0x75) {
      out[at++] = SIMPLE_ESCAPES[kind];
      from = next + 2;
    } else {
      let cp = hexAt(raw, next + 2);
      from = next + 6;
      if (cp >= 0xd800 && cp <= 0xdbff && raw[from] === BACKSLASH && raw[from + 1] === 0x75) {
        const low = hexAt(raw, from + 2);
        if (low >= 0xdc00 && low <= 0xdfff) {
          cp = 0x10000 + ((cp - 0xd800) << 10) + (low - 0xdc00);
          from += 6;
        }
      }
      if (cp >= 0xd800 && cp <= 0xdfff) cp = 0xfffd;
      at = writeUtf8(out, at, cp);
    }
    next = raw.indexOf(BACKSLASH, from);
  }
  if (next < 0) {
    at += raw.copy(out, at, from);
    from = raw.length;
  }
  p.from = from;
  p.at = at;
}

/**
 * The UTF-8 bytes of a JSON string, given the bytes between its quotes (already validated by JsonScanner).
 * Straight from bytes to bytes: a spec sent as a 50 MiB string is never held as a JavaScript string, and
 * an escape never takes more bytes than it encodes, so one buffer of the input's size always suffices.
 * A string without escapes is returned as it is, without a copy. An unpaired surrogate (refused earlier
 * by the scanner) would become U+FFFD.
 */
export function decodeJsonString(raw: Buffer): Buffer {
  if (raw.indexOf(BACKSLASH) < 0) return raw;
  const out = Buffer.allocUnsafe(raw.length);
  const p = { from: 0, at: 0 };
  decodeStep(raw, out, p, raw.length);
  return out.subarray(0, p.at);
}

/** Input bytes decoded between two turns of the event loop (some 10 ms of work for YAML text full of `\n`). */
const SLICE_BYTES = 4 * 1024 * 1024;

/** decodeJsonString for a big string (a spec): the same result, in slices that let the event loop run between them. */
export async function decodeJsonStringInSlices(raw: Buffer): Promise<Buffer> {
  if (raw.indexOf(BACKSLASH) < 0) return raw;
  const out = Buffer.allocUnsafe(raw.length);
  const p = { from: 0, at: 0 };
  while (p.from < raw.length) {
    decodeStep(raw, out, p, p.from + SLICE_BYTES);
    if (p.from < raw.length) await new Promise<void>((resolve) => setImmediate(resolve));
  }
  return out.subarray(0, p.at);
}
