import { SOCKET_NAMESPACE } from '@spectest/contracts';
import type { AddressInfo } from 'node:net';
import { io } from 'socket.io-client';
import { GatewayTestEnv, startGatewayTestEnv } from './testing/gateway-test-env';

const SECRET = 'gateway-origin-secret-0123456789';

jest.setTimeout(30_000);

/** Whether a socket with these handshake headers connects, or the message of its connect_error. */
function handshake(port: number, headers: Record<string, string>): Promise<'connected' | string> {
  const socket = io(`http://127.0.0.1:${port}${SOCKET_NAMESPACE}`, { transports: ['websocket'], reconnection: false, forceNew: true, extraHeaders: headers });
  return new Promise((resolve) => {
    socket.once('connect', () => resolve('connected'));
    socket.once('connect_error', (err) => resolve(err.message));
  }).finally(() => socket.close()) as Promise<'connected' | string>;
}

/**
 * In dev mode a socket needs no token and can read every task of tenant `dev`: its handshake is checked
 * like a state-changing call, so a page of another site (or a DNS-rebound name) cannot open one.
 */
describe('socket handshake in dev mode', () => {
  let env: GatewayTestEnv;
  let port: number;
  beforeAll(async () => {
    env = await startGatewayTestEnv('gateway-origin', SECRET, { AUTH_MODE: 'dev', CORS_ORIGINS: 'https://tool.example' });
    port = (env.running.app.getHttpServer().address() as AddressInfo).port;
  });
  afterAll(() => env?.stop());

  it('connects from the same origin, a listed origin, or a client that sends no Origin', async () => {
    expect(await handshake(port, {})).toBe('connected');
    expect(await handshake(port, { origin: `http://127.0.0.1:${port}` })).toBe('connected');
    expect(await handshake(port, { origin: 'https://tool.example' })).toBe('connected');
  });

  it('refuses another origin and another Host', async () => {
    expect(await handshake(port, { origin: 'https://evil.example' })).not.toBe('connected');
    expect(await handshake(port, { origin: 'null' })).not.toBe('connected');
    expect(await handshake(port, { host: `evil.example:${port}` })).not.toBe('connected');
  });

  it('answers a refused polling handshake with 403 and the code', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/socket.io/?EIO=4&transport=polling`, { headers: { origin: 'https://evil.example' } });
    expect(res.status).toBe(403);
    expect(await res.json()).toMatchObject({ message: 'origin_not_allowed' });
  });
});

describe('socket handshake in jwt mode', () => {
  let env: GatewayTestEnv;
  let port: number;
  beforeAll(async () => {
    env = await startGatewayTestEnv('gateway-origin-jwt', SECRET);
    port = (env.running.app.getHttpServer().address() as AddressInfo).port;
  });
  afterAll(() => env?.stop());

  it('leaves Origin to the token (no ambient credentials): another origin still needs a token', async () => {
    expect(await handshake(port, { origin: 'https://elsewhere.example' })).toBe('unauthorized');
  });

  it('sends no CORS header to an origin that is not listed', async () => {
    const res = await fetch(`http://127.0.0.1:${port}/socket.io/?EIO=4&transport=polling`, { headers: { origin: 'https://elsewhere.example' } });
    expect(res.headers.get('access-control-allow-origin')).toBeNull();
  });
});
