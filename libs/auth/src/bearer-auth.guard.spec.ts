import 'reflect-metadata';
import { ArgumentsHost, Catch, Controller, ExceptionFilter, Get, INestApplication, Module, UseGuards } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { AddressInfo } from 'node:net';
import { AppError } from '@spectest/contracts';
import { AuthConfig, Principal } from './auth.config';
import { TOKEN_VERIFIER } from './auth.constants';
import { AllowQueryToken, CurrentPrincipal, PublicRoute } from './auth.decorators';
import { AuthModule } from './auth.module';
import { BearerAuthGuard } from './bearer-auth.guard';
import { signTestToken } from './test-tokens';
import type { TokenVerifier } from './token-verifier';

const SECRET = 'guard-test-secret-0123456789abcdef';

@Controller()
@UseGuards(BearerAuthGuard)
class ProbeController {
  @Get('me')
  me(@CurrentPrincipal() p: Principal): Principal {
    return p;
  }

  @Get('events')
  @AllowQueryToken()
  events(@CurrentPrincipal() p: Principal): Principal {
    return p;
  }

  @Get('health')
  @PublicRoute()
  health(): { ok: true } {
    return { ok: true };
  }
}

@Controller('unguarded')
class UnguardedController {
  @Get()
  me(@CurrentPrincipal() p: Principal): Principal {
    return p;
  }
}

/** Test-only stand-in for the real problem+json filter (not this lib's job): shows status and code. */
@Catch(AppError)
class AppErrorFilter implements ExceptionFilter {
  catch(err: AppError, host: ArgumentsHost): void {
    host.switchToHttp().getResponse().status(err.status).json({ code: err.code, detail: err.message });
  }
}

async function start(config: AuthConfig): Promise<{ app: INestApplication; base: string }> {
  @Module({ imports: [AuthModule.forRoot(config)], controllers: [ProbeController, UnguardedController] })
  class ProbeModule {}
  const ref = await Test.createTestingModule({ imports: [ProbeModule] }).compile();
  const app = ref.createNestApplication({ logger: false });
  app.useGlobalFilters(new AppErrorFilter());
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  return { app, base: `http://127.0.0.1:${port}` };
}

async function get(url: string, auth?: string): Promise<{ status: number; body: any }> {
  const res = await fetch(url, { headers: auth ? { authorization: auth } : {} });
  return { status: res.status, body: await res.json() };
}

describe('BearerAuthGuard (jwt mode)', () => {
  let app: INestApplication;
  let base: string;
  beforeAll(async () => ({ app, base } = await start({ mode: 'jwt', jwtSecret: SECRET })));
  afterAll(() => app.close());

  it('attaches the principal of a valid Bearer token', async () => {
    const token = await signTestToken(SECRET, { sub: 'alice', tenant: 'acme' }, '1h');
    const { status, body } = await get(`${base}/me`, `Bearer ${token}`);
    expect(status).toBe(200);
    expect(body).toMatchObject({ subject: 'alice', tenant: 'acme' });
  });

  it('answers 401 unauthorized without a token, with a bad one, or with another scheme', async () => {
    const wrong = await signTestToken('not-the-secret-not-the-secret-!!', { sub: 'alice' });
    for (const auth of [undefined, `Bearer ${wrong}`, 'Bearer garbage', 'Basic YTpi']) {
      const { status, body } = await get(`${base}/me`, auth);
      expect([status, body.code]).toEqual([401, 'unauthorized']);
      expect(JSON.stringify(body)).not.toContain(SECRET);
    }
  });

  it('accepts ?access_token= only on @AllowQueryToken routes', async () => {
    const token = await signTestToken(SECRET, { sub: 'bob' }, '1h');
    expect(await get(`${base}/events?access_token=${token}`)).toMatchObject({ status: 200, body: { tenant: 'bob' } });
    expect((await get(`${base}/me?access_token=${token}`)).status).toBe(401);
    expect((await get(`${base}/events?access_token=${token}&access_token=${token}`)).status).toBe(401);
  });

  it('prefers the header over the query token', async () => {
    const header = await signTestToken(SECRET, { sub: 'header' }, '1h');
    const query = await signTestToken(SECRET, { sub: 'query' }, '1h');
    expect((await get(`${base}/events?access_token=${query}`, `Bearer ${header}`)).body.subject).toBe('header');
  });

  it('lets @PublicRoute through and refuses @CurrentPrincipal on an unguarded route', async () => {
    expect(await get(`${base}/health`)).toEqual({ status: 200, body: { ok: true } });
    expect((await get(`${base}/unguarded`)).status).toBe(401);
  });

  it('provides the verifier under TOKEN_VERIFIER', async () => {
    const verifier = app.get<TokenVerifier>(TOKEN_VERIFIER);
    expect((await verifier.verify(await signTestToken(SECRET, { sub: 'x' }))).tenant).toBe('x');
  });
});

describe('BearerAuthGuard (dev mode)', () => {
  let app: INestApplication;
  let base: string;
  beforeAll(async () => ({ app, base } = await start({ mode: 'dev', jwtSecret: SECRET })));
  afterAll(() => app.close());

  it('takes a request without a token as tenant dev', async () => {
    expect(await get(`${base}/me`)).toEqual({ status: 200, body: { subject: 'dev', tenant: 'dev', expiresAt: null } });
  });

  it('still verifies a given token', async () => {
    expect((await get(`${base}/me`, `Bearer ${await signTestToken(SECRET, { sub: 'eve' })}`)).body.tenant).toBe('eve');
    expect((await get(`${base}/me`, 'Bearer garbage')).status).toBe(401);
  });
});

describe('AuthModule.forRootAsync', () => {
  it('builds the verifier from a factory', async () => {
    @Module({ providers: [{ provide: 'CFG', useValue: { mode: 'jwt', jwtSecret: SECRET } }], exports: ['CFG'] })
    class CfgModule {}
    @Module({ imports: [AuthModule.forRootAsync({ imports: [CfgModule], useFactory: (c: AuthConfig) => c, inject: ['CFG'] })] })
    class Root {}
    const ref = await Test.createTestingModule({ imports: [Root] }).compile();
    const verifier = ref.get<TokenVerifier>(TOKEN_VERIFIER);
    expect((await verifier.verify(await signTestToken(SECRET, { sub: 'y' }))).subject).toBe('y');
    await ref.close();
  });
});
