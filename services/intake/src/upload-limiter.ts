import { AppError } from '@spectest/contracts';

/** 429 or 503 with Retry-After (the problem filter reads `retryAfterSeconds`). */
export class UploadRefusedError extends AppError {
  constructor(
    code: 'limit_exceeded' | 'unavailable',
    message: string,
    readonly retryAfterSeconds: number,
  ) {
    super(code, message, code === 'unavailable' ? 503 : 429);
  }
}

export interface UploadLimits {
  /** Bytes of bodies (and what is made of them) this process holds at once, for all clients. */
  budgetBytes: number;
  /** Large or slow bodies one client may be sending at once. */
  perClient: number;
}

/**
 * Bytes held per byte of body while a submission is read and stored: the body itself, the spec taken from
 * it (a decoded string is a copy; an object a view of the body), and the database driver's copy of the spec
 * while it is sent to Postgres.
 */
export const HELD_PER_BODY_BYTE = 3;
/** A body past this size, or still arriving after SLOW_BODY_MS, counts against its client's uploads. */
export const LARGE_BODY_BYTES = 1024 * 1024;
export const SLOW_BODY_MS = 1_000;
const RETRY_AFTER_SECONDS = 5;

const full = () => new UploadRefusedError('unavailable', 'this server is holding as many request bodies as its memory allows; retry shortly', RETRY_AFTER_SECONDS);

/**
 * Bounds the request bodies being read, per client and per process. The process holds at most `budgetBytes`
 * for all of them (503 `unavailable` past it: this replica is full, another may not be). A body with a
 * declared length reserves for all of it before it is read, so concurrent bodies are admitted or turned away
 * before they send anything: bodies cut off halfway would leave their memory to the garbage collector, which
 * frees it late (forty 98 MiB bodies admitted at once and cut off took intake past 600 MiB). A body without a
 * declared length (chunked, compressed) reserves as it arrives. A client may have at most `perClient` large
 * or slow bodies in flight (429 `limit_exceeded` past it): quick small submissions are never held up, while
 * slow or stuck uploads cannot multiply.
 */
export class UploadLimiter {
  private reserved = 0;
  private readonly heavy = new Map<string, number>();

  constructor(
    private readonly limits: UploadLimits,
    private readonly now: () => number = Date.now,
  ) {}

  /** Bytes reserved now, for all clients (metrics and tests). */
  get reservedBytes(): number {
    return this.reserved;
  }

  /** Starts an upload of `client` whose body declares `declaredBodyBytes` (0 when unknown). Throws UploadRefusedError. */
  acquire(client: string, declaredBodyBytes: number): Upload {
    if ((this.heavy.get(client) ?? 0) >= this.limits.perClient) throw this.tooMany(client);
    if (this.reserved + declaredBodyBytes * HELD_PER_BODY_BYTE > this.limits.budgetBytes) throw full();
    const upload = new Upload(this, client, this.now());
    if (declaredBodyBytes > LARGE_BODY_BYTES) upload.countAsHeavy();
    upload.ensure(declaredBodyBytes);
    return upload;
  }

  /** @internal */
  reserve(bytes: number): void {
    if (this.reserved + bytes > this.limits.budgetBytes) throw full();
    this.reserved += bytes;
  }

  /** @internal */
  addHeavy(client: string): void {
    const n = this.heavy.get(client) ?? 0;
    if (n >= this.limits.perClient) throw this.tooMany(client);
    this.heavy.set(client, n + 1);
  }

  /** @internal */
  release(client: string, bytes: number, heavy: boolean): void {
    this.reserved -= bytes;
    if (!heavy) return;
    const n = (this.heavy.get(client) ?? 1) - 1;
    if (n > 0) this.heavy.set(client, n);
    else this.heavy.delete(client);
  }

  /** @internal */
  elapsed(since: number): number {
    return this.now() - since;
  }

  private tooMany(client: string): UploadRefusedError {
    return new UploadRefusedError('limit_exceeded', `this client is already sending ${this.heavy.get(client)} large or slow bodies; the limit is ${this.limits.perClient} at once`, RETRY_AFTER_SECONDS);
  }
}

/** One body being read: reserves as it arrives, and must be released once the submission is done with. */
export class Upload {
  private bytes = 0;
  private heavy = false;
  private released = false;

  constructor(
    private readonly limiter: UploadLimiter,
    private readonly client: string,
    private readonly started: number,
  ) {}

  /** A body of `bodyBytes` has arrived so far: reserve for it. Throws UploadRefusedError. */
  ensure(bodyBytes: number): void {
    if (this.released) return;
    if (!this.heavy && (bodyBytes > LARGE_BODY_BYTES || this.limiter.elapsed(this.started) > SLOW_BODY_MS)) this.countAsHeavy();
    const total = bodyBytes * HELD_PER_BODY_BYTE;
    if (total <= this.bytes) return;
    this.limiter.reserve(total - this.bytes);
    this.bytes = total;
  }

  /** @internal */
  countAsHeavy(): void {
    this.limiter.addHeavy(this.client);
    this.heavy = true;
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    this.limiter.release(this.client, this.bytes, this.heavy);
  }
}
