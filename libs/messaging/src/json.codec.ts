const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** JSON on the wire; `undefined` becomes `null` so every message has a body a consumer can parse. */
export function encodeJson(payload: unknown): Uint8Array {
  return encoder.encode(toJsonText(payload));
}

export function toJsonText(payload: unknown): string {
  const text = JSON.stringify(payload);
  return text === undefined ? 'null' : text;
}

export function decodeJson(data: Uint8Array | string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(typeof data === 'string' ? data : decoder.decode(data)) };
  } catch {
    return { ok: false };
  }
}
