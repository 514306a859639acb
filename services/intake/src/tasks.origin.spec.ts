import { parseConfig } from '@spectest/platform';
import { RawAnswer, rawRequest } from '@spectest/testing';
import type { AddressInfo } from 'node:net';
import { IntakeConfigSchema } from './intake.config';
import { IntakeTestApp, fixture, startIntakeTestApp } from './testing/intake-test-app';

/**
 * Dev mode (AUTH_MODE=dev: no token, every caller is tenant `dev`) must not be reachable by the pages a
 * developer visits: it listens on loopback, sends no CORS headers unless told, refuses a Host that is not
 * its own (DNS rebinding), and refuses state-changing calls from another origin.
 */
jest.setTimeout(30_000);

const portOf = (t: IntakeTestApp) => (t.running.app.getHttpServer().address() as AddressInfo).port;
const bodyOf = (a: RawAnswer) => (a.body ? JSON.parse(a.body) : {});
const form = () => {
  const f = new FormData();
  f.append('spec', new Blob([fixture('petstore.yaml')]), 'petstore.yaml');
  return f;
};
const jsonSpec = Buffer.from(JSON.stringify({ spec: fixture('petstore.yaml') }));

describe('dev mode, default settings', () => {
  let t: IntakeTestApp;
  let port: number;
  beforeAll(async () => {
    t = await startIntakeTestApp({ worker: false, env: { AUTH_MODE: 'dev' } });
    port = portOf(t);
  });
  afterAll(() => t?.stop());

  const raw = (method: string, path: string, headers: Record<string, string>, body?: Buffer) =>
    rawRequest(t.url, { method, path, headers: { 'content-type': 'application/json', ...headers }, ...(body ? { body } : {}) });

  it('listens on 127.0.0.1 only', () => {
    expect((t.running.app.getHttpServer().address() as AddressInfo).address).toBe('127.0.0.1');
  });

  it('answers its loopback names, and refuses any other Host with 403 host_not_allowed (DNS rebinding)', async () => {
    for (const host of [`localhost:${port}`, `127.0.0.1:${port}`, `[::1]:${port}`, 'localhost']) {
      expect([host, (await raw('GET', '/v1/tasks', { host })).status]).toEqual([host, 200]);
    }
    for (const host of [`evil.example:${port}`, 'evil.example', `localhost.evil.example:${port}`, `192.168.1.5:${port}`]) {
      for (const [method, path] of [['GET', '/v1/tasks'], ['GET', '/v1/tasks/00000000-0000-4000-8000-000000000000/artifact'], ['POST', '/v1/tasks']]) {
        const answer = await raw(method, path, { host }, method === 'POST' ? jsonSpec : undefined);
        expect([host, path, answer.status, bodyOf(answer).code]).toEqual([host, path, 403, 'host_not_allowed']);
      }
    }
    expect((await t.dataSource.query(`SELECT count(*)::int AS n FROM tasks`))[0].n).toBe(0);
  });

  it('refuses a cross-origin POST (a form on another site) with 403 origin_not_allowed, and stores nothing', async () => {
    const evil = await t.call('/v1/tasks', { method: 'POST', auth: false, body: form(), headers: { origin: 'https://evil.example' } });
    expect([evil.status, (await evil.json()).code]).toEqual([403, 'origin_not_allowed']);
    for (const headers of [{ origin: 'null' }, { origin: `http://localhost:${port + 1}` }, { 'sec-fetch-site': 'cross-site' }] as Record<string, string>[]) {
      const answer = await raw('POST', '/v1/tasks', headers, jsonSpec);
      expect([headers, answer.status, bodyOf(answer).code]).toEqual([headers, 403, 'origin_not_allowed']);
    }
    const cancel = await raw('POST', '/v1/tasks/00000000-0000-4000-8000-000000000000/cancel', { origin: 'https://evil.example' });
    expect(cancel.status).toBe(403);
    expect((await t.dataSource.query(`SELECT count(*)::int AS n FROM tasks`))[0].n).toBe(0);
  });

  it('accepts the same origin (the web page) and clients that send no Origin (curl, the SDK)', async () => {
    expect((await raw('POST', '/v1/tasks', { origin: `http://127.0.0.1:${port}` }, jsonSpec)).status).toBe(202);
    expect((await raw('POST', '/v1/tasks', { origin: `http://localhost:${port}`, host: `localhost:${port}` }, jsonSpec)).status).toBe(202);
    expect((await raw('POST', '/v1/tasks', {}, jsonSpec)).status).toBe(202);
  });

  it('sends no CORS headers to another origin: its pages cannot read the answers', async () => {
    const preflight = await t.call('/v1/tasks', {
      method: 'OPTIONS',
      auth: false,
      headers: { origin: 'https://evil.example', 'access-control-request-method': 'POST', 'access-control-request-headers': 'content-type' },
    });
    expect(preflight.headers.get('access-control-allow-origin')).toBeNull();
    const read = await t.call('/v1/tasks', { auth: false, headers: { origin: 'https://evil.example' } });
    expect([read.status, read.headers.get('access-control-allow-origin')]).toEqual([200, null]);
  });
});

describe('dev mode with HOST, ALLOWED_HOSTS and CORS_ORIGINS', () => {
  let t: IntakeTestApp;
  let port: number;
  beforeAll(async () => {
    t = await startIntakeTestApp({ worker: false, env: { AUTH_MODE: 'dev', HOST: '0.0.0.0', ALLOWED_HOSTS: 'spectest.lan', CORS_ORIGINS: 'https://tool.example,http://localhost:5173' } });
    port = portOf(t);
  });
  afterAll(() => t?.stop());

  it('listens where HOST says, answers the allowed host name, and lets the listed origins call and read', async () => {
    expect((t.running.app.getHttpServer().address() as AddressInfo).address).toBe('0.0.0.0');
    expect((await rawRequest(t.url, { method: 'GET', path: '/v1/tasks', headers: { host: `spectest.lan:${port}` } })).status).toBe(200);
    const posted = await rawRequest(t.url, { path: '/v1/tasks', headers: { 'content-type': 'application/json', origin: 'https://tool.example' }, body: jsonSpec });
    expect([posted.status, posted.headers['access-control-allow-origin']]).toEqual([202, 'https://tool.example']);
    const preflight = await t.call('/v1/tasks', { method: 'OPTIONS', auth: false, headers: { origin: 'http://localhost:5173', 'access-control-request-method': 'POST' } });
    expect(preflight.headers.get('access-control-allow-origin')).toBe('http://localhost:5173');
    const other = await rawRequest(t.url, { path: '/v1/tasks', headers: { 'content-type': 'application/json', origin: 'https://evil.example' }, body: jsonSpec });
    expect(other.status).toBe(403);
  });
});

describe('CORS_ORIGINS in config', () => {
  const env = { DATABASE_URL: 'postgres://localhost/x', AUTH_JWT_SECRET: 'a-secret-of-sixteen+' };
  it('refuses * in dev mode and anything that is not an origin, naming the variable; accepts * with jwt', () => {
    expect(() => parseConfig(IntakeConfigSchema, { ...env, AUTH_MODE: 'dev', CORS_ORIGINS: '*' })).toThrow(/CORS_ORIGINS/);
    expect(() => parseConfig(IntakeConfigSchema, { ...env, CORS_ORIGINS: 'https://a.example/path' })).toThrow(/CORS_ORIGINS/);
    expect(() => parseConfig(IntakeConfigSchema, { ...env, ALLOWED_HOSTS: 'a.example:3000' })).toThrow(/ALLOWED_HOSTS/);
    expect(parseConfig(IntakeConfigSchema, { ...env, CORS_ORIGINS: '*' }).CORS_ORIGINS).toEqual(['*']);
    expect(parseConfig(IntakeConfigSchema, { ...env, CORS_ORIGINS: 'https://a.example, http://b.example:8080' }).CORS_ORIGINS).toEqual(['https://a.example', 'http://b.example:8080']);
  });
});
