import { OriginPolicy, corsOptions, originRefusal } from '@spectest/platform';
import cors from 'cors';
import type { IncomingMessage } from 'node:http';
import type { Server } from 'socket.io';

type AllowRequest = (req: IncomingMessage, callback: (err: string | null | undefined, success: boolean) => void) => void;

/**
 * Applies the origin policy to the Socket.IO server: every handshake (polling or websocket) goes through
 * originRefusal (in dev mode, Host and Origin; a refusal is a 403 whose message is the code), and the
 * polling transport sends CORS headers to the origins of CORS_ORIGINS only. Socket.IO's own `cors` option
 * is a static decorator value; this reads the config at start.
 */
export function applySocketOriginPolicy(io: Server, policy: OriginPolicy): void {
  const engine = io.engine;
  const previous = engine.opts.allowRequest as AllowRequest | undefined;
  const allowRequest: AllowRequest = (req, callback) => {
    const refusal = originRefusal(policy, req, 'handshake');
    if (refusal) return callback(refusal.code, false);
    if (previous) return previous(req, callback);
    callback(null, true);
  };
  engine.opts.allowRequest = allowRequest;
  const options = corsOptions(policy);
  if (options.origin !== false) engine.use(cors(options));
}
