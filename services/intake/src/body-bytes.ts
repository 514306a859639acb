/**
 * The bytes of a body (or of a file in it) as they arrive, held once: in one buffer when the most there
 * can be is known (an identity body cannot outgrow its Content-Length), so a part of it can be taken
 * without a copy; else as the chunks that came.
 */
export class BodyBytes {
  private readonly whole: Buffer | null;
  private readonly chunks: Buffer[] = [];
  private size = 0;

  constructor(capacity: number | null) {
    this.whole = capacity !== null ? Buffer.allocUnsafe(capacity) : null;
  }

  get length(): number {
    return this.size;
  }

  append(chunk: Buffer): void {
    if (this.whole) {
      if (this.size + chunk.length > this.whole.length) throw new Error('the body is longer than its declared length');
      chunk.copy(this.whole, this.size);
    } else this.chunks.push(chunk);
    this.size += chunk.length;
  }

  /** All the bytes received. */
  all(): Buffer {
    return this.range(0, this.size);
  }

  /** Bytes `[start, end)`: a view when they lie in one piece, else a copy. */
  range(start: number, end: number): Buffer {
    if (this.whole) return this.whole.subarray(start, end);
    let first = 0;
    for (const chunk of this.chunks) {
      if (start >= first && end <= first + chunk.length) return chunk.subarray(start - first, end - first);
      first += chunk.length;
      if (first > start) break;
    }
    const out = Buffer.allocUnsafe(end - start);
    let at = 0;
    let offset = 0;
    for (const chunk of this.chunks) {
      const from = Math.max(start, offset);
      const to = Math.min(end, offset + chunk.length);
      if (from < to) at += chunk.copy(out, at, from - offset, to - offset);
      offset += chunk.length;
      if (offset >= end) break;
    }
    return out;
  }
}
