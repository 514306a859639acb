/**
 * Preloaded (`node -r`) into the Portman process: any connection that leaves the machine fails at once
 * and is reported on stderr, so a comparison run proves it needed no network. Loopback stays allowed.
 */
import dns from 'node:dns';
import net from 'node:net';

const MARK = 'offline-guard: blocked';
const isLoopback = (host: unknown) => host === undefined || host === 'localhost' || /^127\.|^::1$/.test(String(host));

const originalConnect = net.Socket.prototype.connect;
net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
  const first = args[0] as { host?: string; path?: string } | number | string;
  const host = typeof first === 'object' && first !== null ? (first.path ? 'localhost' : first.host) : typeof first === 'number' ? args[1] : undefined;
  if (!isLoopback(host)) {
    process.stderr.write(`${MARK} connection to ${String(host)}\n`);
    throw new Error(`${MARK}: no network during the comparison (${String(host)})`);
  }
  return (originalConnect as (...a: unknown[]) => net.Socket).apply(this, args);
} as typeof net.Socket.prototype.connect;

const originalLookup = dns.lookup;
(dns as { lookup: unknown }).lookup = function (hostname: string, ...rest: unknown[]) {
  if (isLoopback(hostname)) return (originalLookup as (...a: unknown[]) => unknown).call(dns, hostname, ...rest);
  process.stderr.write(`${MARK} DNS lookup of ${hostname}\n`);
  const callback = rest[rest.length - 1] as (error: Error) => void;
  const error = Object.assign(new Error(`${MARK}: ${hostname}`), { code: 'ENOTFOUND' });
  process.nextTick(() => callback(error));
};

export const OFFLINE_GUARD_MARK = MARK;
