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
  /** Bodies one client may be sending at once. */
  perClient: number;
}

/**
 * Bytes held per byte of body while a submission is read and stored: the body itself, the spec taken from
 * it (a decoded string is a copy; an object a view of the body), and the database driver's copy of the spec
 * while it is sent to Postgres.
 */
export const HELD_PER_BODY_BYTE = 3;

/** How fast a body without a declared length reserves as it grows. */
const GROWTH_STEP = 64 * 1024;
const RETRY_AFTER_SECONDS = 5;

/**
 * Bounds the request bodies being read and held, per client and per process: a client sends at most
 * `perClient` at once (429 `limit_exceeded` above, so a slow or stuck upload cannot multiply), and the
 * process holds at most `budgetBytes` for all of them (503 `unavailable` above: this replica is full,
 * another may not be). An upload reserves for its declared size, or grows its reservation as an
 * undeclared (chunked or compressed) body arrives, and gives it all back when released. One client may
 * use the whole budget: the largest body allowed must fit in it, and the minimum rate and the deadline
 * bound how long it is held.
 */
export class UploadLimiter {
  private reserved = 0;
  private readonly clients = new Map<string, number>();

  constructor(private readonly limits: UploadLimits) {}

  /** Bytes reserved now, for all clients (metrics and tests). */
  get reservedBytes(): number {
    return this.reserved;
  }

  /** Starts an upload of `client`, reserving for `bodyBytes` (0 when unknown). Throws UploadRefusedError. */
  acquire(client: string, bodyBytes: number): Upload {
    const bytes = bodyBytes * HELD_PER_BODY_BYTE;
    const uploads = this.clients.get(client) ?? 0;
    if (uploads >= this.limits.perClient) {
      throw new UploadRefusedError('limit_exceeded', `this client is already sending ${uploads} bodies; the limit is ${this.limits.perClient} at once`, RETRY_AFTER_SECONDS);
    }
    this.reserve(bytes);
    this.clients.set(client, uploads + 1);
    return new Upload(this, client, bytes);
  }

  /** @internal: an Upload reserving `by` more bytes. Throws UploadRefusedError. */
  reserve(by: number): void {
    if (this.reserved + by > this.limits.budgetBytes) {
      throw new UploadRefusedError('unavailable', 'this server is holding as many request bodies as its memory allows; retry shortly', RETRY_AFTER_SECONDS);
    }
    this.reserved += by;
  }

  /** @internal */
  release(client: string, bytes: number): void {
    this.reserved -= bytes;
    const uploads = (this.clients.get(client) ?? 1) - 1;
    if (uploads > 0) this.clients.set(client, uploads);
    else this.clients.delete(client);
  }
}

/** One body being read: grows its reservation as it arrives, and must be released once done with. */
export class Upload {
  private released = false;

  constructor(
    private readonly limiter: UploadLimiter,
    private readonly client: string,
    private bytes: number,
  ) {}

  /** Makes sure a body of `bodyBytes` is reserved for (in steps, so a body does not reserve per chunk). Throws UploadRefusedError. */
  ensure(bodyBytes: number): void {
    const total = bodyBytes * HELD_PER_BODY_BYTE;
    if (this.released || total <= this.bytes) return;
    const target = Math.ceil(total / GROWTH_STEP) * GROWTH_STEP;
    this.limiter.reserve(target - this.bytes);
    this.bytes = target;
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    this.limiter.release(this.client, this.bytes);
  }
}
