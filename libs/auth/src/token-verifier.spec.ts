import { AddressInfo } from 'node:net';
import { Server, createServer } from 'node:http';
import { SignJWT, UnsecuredJWT, exportJWK, generateKeyPair } from 'jose';
import { AppError } from '@spectest/contracts';
import { UnauthorizedError } from './auth.errors';
import { extractBearer } from './bearer';
import { signTestToken } from './test-tokens';
import { createTokenVerifier } from './token-verifier';

const SECRET = 'unit-test-secret-0123456789abcdef';
const key = new TextEncoder().encode(SECRET);
// Most cases here are about other claims: tokens without `exp` are allowed unless a test says otherwise.
const jwt = createTokenVerifier({ mode: 'jwt', jwtSecret: SECRET, requireExp: false });

/** The rejection, asserting it is an UnauthorizedError that does not leak the secret or the token. */
async function refusal(p: Promise<unknown>, token?: string | null): Promise<UnauthorizedError> {
  const err = await p.then(
    () => {
      throw new Error('expected a refusal');
    },
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(UnauthorizedError);
  expect(err).toBeInstanceOf(AppError);
  const u = err as UnauthorizedError;
  expect([u.code, u.status]).toEqual(['unauthorized', 401]);
  const text = `${u.message} ${u.reason} ${JSON.stringify(u)} ${u.stack ?? ''}`;
  expect(text).not.toContain(SECRET);
  if (token) expect(text).not.toContain(token);
  return u;
}

describe('createTokenVerifier (HS256)', () => {
  it('accepts a valid token and reads sub, tenant and exp', async () => {
    const token = await signTestToken(SECRET, { sub: 'alice', tenant: 'acme' }, '1h');
    const p = await jwt.verify(token);
    expect(p).toMatchObject({ subject: 'alice', tenant: 'acme' });
    expect(p.expiresAt).toBeGreaterThan(Date.now() + 3500_000);
    expect(p.expiresAt).toBeLessThanOrEqual(Date.now() + 3600_000);
  });

  it('defaults tenant to sub and expiresAt to null without exp', async () => {
    expect(await jwt.verify(await signTestToken(SECRET, { sub: 'bob' }, null))).toEqual({ subject: 'bob', tenant: 'bob', expiresAt: null });
  });

  it('refuses an expired token', async () => {
    const token = await signTestToken(SECRET, { sub: 'alice' }, Math.floor(Date.now() / 1000) - 60);
    expect((await refusal(jwt.verify(token), token)).reason).toBe('token expired');
  });

  it('refuses a token signed with another secret', async () => {
    const token = await signTestToken('another-secret-of-enough-length!!', { sub: 'alice' }, '1h');
    expect((await refusal(jwt.verify(token), token)).reason).toBe('invalid signature');
  });

  it('refuses an unsigned (alg none) token', async () => {
    const token = new UnsecuredJWT({ sub: 'alice' }).setIssuedAt().setExpirationTime('1h').encode();
    expect((await refusal(jwt.verify(token), token)).reason).toBe('algorithm not allowed');
  });

  it('refuses HS512 even with the right secret', async () => {
    const token = await new SignJWT({ sub: 'alice' }).setProtectedHeader({ alg: 'HS512' }).setExpirationTime('1h').sign(key);
    expect((await refusal(jwt.verify(token), token)).reason).toBe('algorithm not allowed');
  });

  it('refuses RS256 when no JWKS is configured', async () => {
    const { privateKey } = await generateKeyPair('RS256');
    const token = await new SignJWT({ sub: 'alice' }).setProtectedHeader({ alg: 'RS256' }).sign(privateKey);
    expect((await refusal(jwt.verify(token), token)).reason).toBe('algorithm not allowed');
  });

  it('refuses a token without sub, or with a non-string tenant', async () => {
    expect((await refusal(jwt.verify(await signTestToken(SECRET, { tenant: 'acme' })))).reason).toBe('token has no sub claim');
    expect((await refusal(jwt.verify(await signTestToken(SECRET, { sub: '' })))).reason).toBe('token has no sub claim');
    const badTenant = await new SignJWT({ sub: 'a', tenant: 42 }).setProtectedHeader({ alg: 'HS256' }).sign(key);
    expect((await refusal(jwt.verify(badTenant))).reason).toBe('tenant claim must be a non-empty string');
  });

  it('refuses a missing, malformed or oversized token in jwt mode', async () => {
    expect((await refusal(jwt.verify(undefined))).reason).toBe('missing bearer token');
    expect((await refusal(jwt.verify(null))).reason).toBe('missing bearer token');
    expect((await refusal(jwt.verify(''))).reason).toBe('missing bearer token');
    expect((await refusal(jwt.verify('not.a.jwt'))).reason).toBe('malformed token');
    expect((await refusal(jwt.verify('x'.repeat(10_000)))).reason).toBe('malformed token');
  });

  it('checks issuer and audience when configured', async () => {
    const v = createTokenVerifier({ mode: 'jwt', jwtSecret: SECRET, issuer: 'https://idp', audience: 'spectest' });
    const ok = await signTestToken(SECRET, { sub: 'a', iss: 'https://idp', aud: 'spectest' }, '1h');
    expect((await v.verify(ok)).subject).toBe('a');
    const wrongAud = await signTestToken(SECRET, { sub: 'a', iss: 'https://idp', aud: 'other' }, '1h');
    expect((await refusal(v.verify(wrongAud))).reason).toBe('claim aud invalid');
    const noIss = await signTestToken(SECRET, { sub: 'a', aud: 'spectest' }, '1h');
    expect((await refusal(v.verify(noIss))).reason).toBe('claim iss invalid');
  });
});

describe('createTokenVerifier (requireExp, AUTH_REQUIRE_EXP)', () => {
  it('refuses a token without exp by default in jwt mode, and accepts one with exp', async () => {
    const strict = createTokenVerifier({ mode: 'jwt', jwtSecret: SECRET });
    const forever = await signTestToken(SECRET, { sub: 'alice' }, null);
    expect((await refusal(strict.verify(forever), forever)).reason).toBe('token has no exp claim');
    expect((await strict.verify(await signTestToken(SECRET, { sub: 'alice' }, '1h'))).subject).toBe('alice');
  });

  it('accepts a token without exp when requireExp is false, and by default in dev mode', async () => {
    const forever = await signTestToken(SECRET, { sub: 'alice' }, null);
    expect((await jwt.verify(forever)).expiresAt).toBeNull();
    expect((await createTokenVerifier({ mode: 'dev', jwtSecret: SECRET }).verify(forever)).subject).toBe('alice');
    const strictDev = createTokenVerifier({ mode: 'dev', jwtSecret: SECRET, requireExp: true });
    expect((await refusal(strictDev.verify(forever))).reason).toBe('token has no exp claim');
  });
});

describe('createTokenVerifier (claims unfit for storage)', () => {
  it('refuses a sub or tenant with a NUL, a lone surrogate or more than 200 characters', async () => {
    for (const bad of ['a\u0000b', 'a\ud800', '\udc00b', 'x'.repeat(201)]) {
      expect((await refusal(jwt.verify(await signTestToken(SECRET, { sub: bad }, '1h')))).reason).toBe('sub claim is not a usable name');
      expect((await refusal(jwt.verify(await signTestToken(SECRET, { sub: 'ok', tenant: bad }, '1h')))).reason).toBe('tenant claim is not a usable name');
    }
    expect((await jwt.verify(await signTestToken(SECRET, { sub: 'émile 😀', tenant: 'x'.repeat(200) }, '1h'))).subject).toBe('émile 😀');
  });
});

describe('createTokenVerifier (dev mode)', () => {
  const dev = createTokenVerifier({ mode: 'dev', jwtSecret: SECRET });

  it('treats a missing token as tenant dev', async () => {
    expect(await dev.verify(undefined)).toEqual({ subject: 'dev', tenant: 'dev', expiresAt: null });
    expect(await dev.verify('')).toEqual({ subject: 'dev', tenant: 'dev', expiresAt: null });
  });

  it('still verifies a token that is given', async () => {
    expect((await dev.verify(await signTestToken(SECRET, { sub: 'carol' }))).tenant).toBe('carol');
    await refusal(dev.verify(await signTestToken('wrong-secret-wrong-secret-wrong!', { sub: 'carol' })));
    await refusal(createTokenVerifier({ mode: 'dev' }).verify(await signTestToken(SECRET, { sub: 'carol' })));
  });
});

describe('createTokenVerifier (config)', () => {
  it('refuses at start a jwt mode that can verify nothing', () => {
    expect(() => createTokenVerifier({ mode: 'jwt' })).toThrow(/jwtSecret/);
    expect(() => createTokenVerifier({ mode: 'open' as never })).toThrow(/mode/);
  });
});

describe('createTokenVerifier (RS256 via JWKS)', () => {
  let server: Server;
  let jwksUrl: string;
  let privateKey: CryptoKey;
  let requests = 0;

  beforeAll(async () => {
    const pair = await generateKeyPair('RS256');
    privateKey = pair.privateKey as CryptoKey;
    const jwk = { ...(await exportJWK(pair.publicKey)), kid: 'k1', alg: 'RS256', use: 'sig' };
    server = createServer((req, res) => {
      requests++;
      if (req.url !== '/.well-known/jwks.json') return void res.writeHead(404).end();
      res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ keys: [jwk] }));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    jwksUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/.well-known/jwks.json`;
  });
  afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const rs = (claims: Record<string, unknown>, kid = 'k1', k: CryptoKey = privateKey) =>
    new SignJWT(claims).setProtectedHeader({ alg: 'RS256', kid }).setExpirationTime('5m').sign(k);

  it('accepts an RS256 token signed by a key of the set, and HS256 alongside', async () => {
    const v = createTokenVerifier({ mode: 'jwt', jwtSecret: SECRET, jwksUrl });
    expect(await v.verify(await rs({ sub: 'svc', tenant: 'acme' }))).toMatchObject({ subject: 'svc', tenant: 'acme' });
    expect((await v.verify(await signTestToken(SECRET, { sub: 'alice' }))).tenant).toBe('alice');
    expect(requests).toBeGreaterThan(0);
  });

  it('works with a JWKS only (no shared secret), refusing HS256 then', async () => {
    const v = createTokenVerifier({ mode: 'jwt', jwksUrl });
    expect((await v.verify(await rs({ sub: 'svc' }))).subject).toBe('svc');
    expect((await refusal(v.verify(await signTestToken(SECRET, { sub: 'alice' })))).reason).toBe('algorithm not allowed');
  });

  it('refuses an unknown kid and a key outside the set', async () => {
    const v = createTokenVerifier({ mode: 'jwt', jwksUrl });
    expect((await refusal(v.verify(await rs({ sub: 'svc' }, 'other')))).reason).toBe('no matching key');
    const stranger = (await generateKeyPair('RS256')).privateKey as CryptoKey;
    expect((await refusal(v.verify(await rs({ sub: 'svc' }, 'k1', stranger)))).reason).toBe('invalid signature');
  });

  it('says so when the key set cannot be fetched', async () => {
    const v = createTokenVerifier({ mode: 'jwt', jwksUrl: jwksUrl.replace('jwks.json', 'missing.json') });
    expect((await refusal(v.verify(await rs({ sub: 'svc' })))).reason).toBe('key set unavailable');
    const closed = createTokenVerifier({ mode: 'jwt', jwksUrl: 'http://127.0.0.1:1/jwks.json' });
    expect((await refusal(closed.verify(await rs({ sub: 'svc' })))).reason).toBe('key set unavailable');
  });
});

describe('extractBearer', () => {
  it.each([
    ['Bearer abc.def.ghi', 'abc.def.ghi'],
    ['bearer   abc', 'abc'],
    ['  Bearer abc  ', 'abc'],
    ['Bearer', null],
    ['Bearer ', null],
    ['Bearer a b', null],
    ['Basic dXNlcjpwdw==', null],
    ['', null],
    [undefined, null],
  ])('%j -> %j', (header, expected) => {
    expect(extractBearer(header)).toBe(expected);
  });
});
