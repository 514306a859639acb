import { createHash } from 'node:crypto';

/**
 * Open sockets per token on this replica. Keyed by a hash of the token, so no token is kept in memory;
 * a socket without a token (dev mode) is counted by its client address, so one client cannot use up the
 * connections of every other tokenless one.
 * The check happens at connect and the count moves on connect and disconnect; two connects of the same
 * token in the same instant may both pass the check, which is the price of not reserving a slot for a
 * handshake that may never complete.
 */
export class ConnectionLimiter {
  private readonly open = new Map<string, number>();

  constructor(private readonly max: number) {}

  static keyOf(token: string | null, address: string): string {
    return token === null ? `address:${address}` : createHash('sha256').update(token).digest('base64url');
  }

  allows(key: string): boolean {
    return (this.open.get(key) ?? 0) < this.max;
  }

  opened(key: string): void {
    this.open.set(key, (this.open.get(key) ?? 0) + 1);
  }

  closed(key: string): void {
    const n = (this.open.get(key) ?? 0) - 1;
    if (n > 0) this.open.set(key, n);
    else this.open.delete(key);
  }
}
