import { decodeJsonString } from './json-string.decoder';

/** Keys and indices from the root to a value, as in a JSON pointer. */
export type JsonPath = (string | number)[];

/** What the scanner refuses: not JSON, nested too deep, or a string Postgres cannot store (a NUL, an unpaired surrogate). */
export type JsonScanProblem = 'syntax' | 'too_deep' | 'nul' | 'surrogate';

export class JsonScanError extends Error {
  constructor(
    readonly problem: JsonScanProblem,
    /** Where: the value (or, for a key, the object) the problem is in. */
    readonly path: JsonPath,
    /** Byte offset in the input. */
    readonly offset: number,
    message: string,
  ) {
    super(message);
    this.name = 'JsonScanError';
  }
}

/** A member of the top-level object: its key and where its value is, as byte offsets `[start, end)`. */
export interface TopLevelMember {
  key: string;
  start: number;
  end: number;
}

/** RFC 6901: `["info", "a/b"]` -> `/info/a~1b`; the root is the empty pointer. */
export const toJsonPointer = (path: JsonPath): string => path.map((k) => '/' + String(k).replace(/~/g, '~0').replace(/\//g, '~1')).join('');

const enum State {
  Value,
  FirstValueOrEnd,
  FirstKeyOrEnd,
  Key,
  Colon,
  AfterValue,
  InString,
  Escape,
  Unicode,
  Number,
  Literal,
  Done,
}
const enum Num {
  Minus,
  Zero,
  Int,
  Dot,
  Frac,
  Exp,
  ExpSign,
  ExpDigits,
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const isSpace = (c: number) => c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09;
const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
const hexValue = (c: number) => (c >= 0x30 && c <= 0x39 ? c - 0x30 : c >= 0x61 && c <= 0x66 ? c - 0x57 : c >= 0x41 && c <= 0x46 ? c - 0x37 : -1);
const SIMPLE_ESCAPE = new Set([0x22, 0x5c, 0x2f, 0x62, 0x66, 0x6e, 0x72, 0x74]);
const LITERALS: Record<number, Buffer> = { 0x74: Buffer.from('true'), 0x66: Buffer.from('false'), 0x6e: Buffer.from('null') };

/**
 * Validates JSON (RFC 8259) as it streams in, chunk by chunk, without building it: memory stays a few
 * bytes per level of nesting whatever the size, and a bad body is refused at the byte where it goes wrong,
 * before the rest is read. On the way it refuses nesting deeper than `maxDepth` containers and strings
 * (values or keys) holding `\u0000` or an unpaired surrogate, naming the path; and, for a top-level
 * object, it records where each member's value lies, so a caller can take one member's bytes as they are.
 *
 * Why not a library: JSON.parse builds the whole value (an object spec of 50 MiB took some 190 MiB of heap
 * and then as much again to serialise), and the streaming parsers at hand decode every string into a
 * JavaScript string (jsonc-parser took 830 MiB of heap for one 45 MiB string with escapes).
 */
export class JsonScanner {
  private state = State.Value;
  private base = 0;
  /** Open containers: 1 for an object, 0 for an array; with the current key (raw bytes) or index of each. */
  private readonly kinds: number[] = [];
  private readonly keys: (Buffer | null)[] = [];
  private readonly indices: number[] = [];
  private inKey = false;
  private keyStart = 0;
  private keyParts: Buffer[] = [];
  private hex = 0;
  private hexDigits = 0;
  private pendingHigh = false;
  private num = Num.Int;
  private literal: Buffer | null = null;
  private literalAt = 0;
  private topKey: string | null = null;
  private topStart = -1;
  private readonly topMembers: TopLevelMember[] = [];
  private rootIsObject = false;

  constructor(private readonly maxDepth: number) {}

  /** Members of the top-level object, in order (a repeated key appears twice: the last one counts, as for JSON.parse). */
  get members(): readonly TopLevelMember[] {
    return this.topMembers;
  }

  /** True once the whole input was a JSON object (after `end`). */
  get isObject(): boolean {
    return this.rootIsObject;
  }

  write(chunk: Buffer): void {
    const n = chunk.length;
    let i = 0;
    if (this.inKey) this.keyStart = 0;
    while (i < n) {
      const c = chunk[i];
      switch (this.state) {
        case State.InString: {
          if (this.pendingHigh && c !== BACKSLASH) throw this.fail('surrogate', i, 'an unpaired UTF-16 surrogate (\\uD800-\\uDBFF)');
          let j = i;
          while (j < n) {
            const d = chunk[j];
            if (d === QUOTE || d === BACKSLASH || d < 0x20) break;
            j++;
          }
          if (j === n) {
            i = n;
            continue;
          }
          const d = chunk[j];
          if (d < 0x20) throw this.fail('syntax', j, 'a control character inside a string (it must be escaped)');
          if (d === BACKSLASH) {
            this.state = State.Escape;
            i = j + 1;
            continue;
          }
          this.endString(chunk, j);
          i = j + 1;
          continue;
        }
        case State.Escape:
          if (c === 0x75) {
            this.state = State.Unicode;
            this.hex = 0;
            this.hexDigits = 0;
          } else if (SIMPLE_ESCAPE.has(c)) {
            if (this.pendingHigh) throw this.fail('surrogate', i, 'an unpaired UTF-16 surrogate (\\uD800-\\uDBFF)');
            this.state = State.InString;
          } else throw this.fail('syntax', i, 'an invalid escape in a string');
          break;
        case State.Unicode: {
          const h = hexValue(c);
          if (h < 0) throw this.fail('syntax', i, 'an invalid \\u escape in a string');
          this.hex = this.hex * 16 + h;
          if (++this.hexDigits === 4) {
            this.unicodeEscape(i);
            this.state = State.InString;
          }
          break;
        }
        case State.Number:
          if (!this.numberByte(c)) {
            this.endNumber(i);
            continue; // the byte that ended the number is read again as what follows a value
          }
          break;
        case State.Literal:
          if (c !== this.literal![this.literalAt]) throw this.fail('syntax', i, 'an unexpected character');
          if (++this.literalAt === this.literal!.length) this.valueEnded(this.base + i + 1);
          break;
        default:
          if (!isSpace(c)) this.structural(c, i);
      }
      i++;
    }
    if (this.inKey) this.keyParts.push(Buffer.from(chunk.subarray(this.keyStart)));
    this.base += n;
  }

  /** The input is complete: throws unless it was one whole JSON value. */
  end(): void {
    if (this.state === State.Number) this.endNumber(0);
    if (this.state !== State.Done) throw this.fail('syntax', 0, 'the JSON ends too early');
  }

  private structural(c: number, i: number): void {
    switch (this.state) {
      case State.FirstValueOrEnd:
        if (c === 0x5d) return this.closeContainer(i);
        return this.startValue(c, i);
      case State.Value:
        return this.startValue(c, i);
      case State.FirstKeyOrEnd:
        if (c === 0x7d) return this.closeContainer(i);
        return this.startKey(c, i);
      case State.Key:
        return this.startKey(c, i);
      case State.Colon:
        if (c !== 0x3a) throw this.fail('syntax', i, 'expected a colon after the key');
        this.state = State.Value;
        return;
      case State.AfterValue: {
        const top = this.kinds.length - 1;
        if (c === 0x2c) {
          if (this.kinds[top] === 1) this.state = State.Key;
          else {
            this.indices[top]++;
            this.state = State.Value;
          }
          return;
        }
        if ((c === 0x7d && this.kinds[top] === 1) || (c === 0x5d && this.kinds[top] === 0)) return this.closeContainer(i);
        throw this.fail('syntax', i, 'expected a comma or the end of the object or array');
      }
      case State.Done:
        throw this.fail('syntax', i, 'unexpected data after the JSON value');
    }
  }

  private startKey(c: number, i: number): void {
    if (c !== QUOTE) throw this.fail('syntax', i, 'expected a key (a string in double quotes)');
    this.inKey = true;
    this.keyStart = i + 1;
    this.keyParts = [];
    this.state = State.InString;
  }

  private startValue(c: number, i: number): void {
    if (this.kinds.length === 1 && this.kinds[0] === 1) this.topStart = this.base + i;
    if (c === 0x7b || c === 0x5b) {
      if (this.kinds.length >= this.maxDepth) throw this.fail('too_deep', i, `nested deeper than ${this.maxDepth} levels`);
      if (this.kinds.length === 0 && c === 0x7b) this.rootIsObject = true;
      this.kinds.push(c === 0x7b ? 1 : 0);
      this.keys.push(null);
      this.indices.push(0);
      this.state = c === 0x7b ? State.FirstKeyOrEnd : State.FirstValueOrEnd;
      return;
    }
    if (c === QUOTE) {
      this.inKey = false;
      this.state = State.InString;
      return;
    }
    if (c === 0x2d || isDigit(c)) {
      this.num = c === 0x2d ? Num.Minus : c === 0x30 ? Num.Zero : Num.Int;
      this.state = State.Number;
      return;
    }
    const literal = LITERALS[c];
    if (!literal) throw this.fail('syntax', i, 'expected a value');
    this.literal = literal;
    this.literalAt = 1;
    this.state = State.Literal;
  }

  private closeContainer(i: number): void {
    this.kinds.pop();
    this.keys.pop();
    this.indices.pop();
    this.valueEnded(this.base + i + 1);
  }

  private endString(chunk: Buffer, j: number): void {
    if (this.pendingHigh) throw this.fail('surrogate', j, 'an unpaired UTF-16 surrogate (\\uD800-\\uDBFF)');
    if (!this.inKey) return this.valueEnded(this.base + j + 1);
    const tail = chunk.subarray(this.keyStart, j);
    const raw = this.keyParts.length > 0 ? Buffer.concat([...this.keyParts, tail]) : tail;
    this.inKey = false;
    this.keyParts = [];
    this.keys[this.keys.length - 1] = raw;
    if (this.kinds.length === 1) this.topKey = decodeJsonString(raw).toString('utf8');
    this.state = State.Colon;
  }

  private unicodeEscape(i: number): void {
    const unit = this.hex;
    if (this.pendingHigh) {
      if (unit < 0xdc00 || unit > 0xdfff) throw this.fail('surrogate', i, 'an unpaired UTF-16 surrogate (\\uD800-\\uDBFF)');
      this.pendingHigh = false;
    } else if (unit >= 0xd800 && unit <= 0xdbff) this.pendingHigh = true;
    else if (unit >= 0xdc00 && unit <= 0xdfff) throw this.fail('surrogate', i, 'an unpaired UTF-16 surrogate (\\uDC00-\\uDFFF)');
    else if (unit === 0) throw this.fail('nul', i, 'a NUL character (\\u0000)');
  }

  private numberByte(c: number): boolean {
    switch (this.num) {
      case Num.Minus:
        if (!isDigit(c)) return false;
        this.num = c === 0x30 ? Num.Zero : Num.Int;
        return true;
      case Num.Zero:
      case Num.Int:
        if (this.num === Num.Int && isDigit(c)) return true;
        if (c === 0x2e) this.num = Num.Dot;
        else if (c === 0x65 || c === 0x45) this.num = Num.Exp;
        else return false;
        return true;
      case Num.Dot:
      case Num.Frac:
        if (isDigit(c)) {
          this.num = Num.Frac;
          return true;
        }
        if (this.num === Num.Frac && (c === 0x65 || c === 0x45)) {
          this.num = Num.Exp;
          return true;
        }
        return false;
      case Num.Exp:
        if (c === 0x2b || c === 0x2d) {
          this.num = Num.ExpSign;
          return true;
        }
        return this.exponentDigit(c);
      case Num.ExpSign:
      case Num.ExpDigits:
        return this.exponentDigit(c);
    }
  }

  private exponentDigit(c: number): boolean {
    if (!isDigit(c)) return false;
    this.num = Num.ExpDigits;
    return true;
  }

  private endNumber(i: number): void {
    if (this.num !== Num.Zero && this.num !== Num.Int && this.num !== Num.Frac && this.num !== Num.ExpDigits) {
      throw this.fail('syntax', i, 'an incomplete number');
    }
    this.valueEnded(this.base + i);
  }

  /** A value ended at `end` (exclusive): record it if it was a member of the top-level object. */
  private valueEnded(end: number): void {
    const depth = this.kinds.length;
    if (depth === 0) {
      this.state = State.Done;
      return;
    }
    if (depth === 1 && this.kinds[0] === 1 && this.topKey !== null) {
      this.topMembers.push({ key: this.topKey, start: this.topStart, end });
      this.topKey = null;
    }
    this.state = State.AfterValue;
  }

  private path(): JsonPath {
    const path: JsonPath = [];
    for (let d = 0; d < this.kinds.length; d++) {
      if (this.kinds[d] === 0) path.push(this.indices[d]);
      else if (this.keys[d] !== null && !(d === this.kinds.length - 1 && this.inKey)) path.push(decodeJsonString(this.keys[d]!).toString('utf8'));
    }
    return path;
  }

  private fail(problem: JsonScanProblem, i: number, what: string): JsonScanError {
    const offset = this.base + i;
    const path = this.path();
    const where = this.inKey ? `a key of ${toJsonPointer(path) || 'the root object'}` : toJsonPointer(path) || 'the root';
    return new JsonScanError(problem, path, offset, `${what} at ${where} (byte ${offset})`);
  }
}
