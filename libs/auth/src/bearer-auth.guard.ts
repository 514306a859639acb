import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { ALLOW_QUERY_TOKEN, PUBLIC_ROUTE, TOKEN_VERIFIER } from './auth.constants';
import type { AuthenticatedRequest } from './auth.decorators';
import { UnauthorizedError } from './auth.errors';
import { extractBearer } from './bearer';
import type { TokenVerifier } from './token-verifier';

interface HttpRequest extends AuthenticatedRequest {
  headers: Record<string, string | string[] | undefined>;
  query?: Record<string, unknown>;
}

/**
 * HTTP guard: verifies `Authorization: Bearer` (or `?access_token=` on @AllowQueryToken routes) and
 * attaches the principal to the request. Fails closed in non-HTTP contexts: sockets authenticate at the handshake.
 */
@Injectable()
export class BearerAuthGuard implements CanActivate {
  constructor(
    @Inject(TOKEN_VERIFIER) private readonly verifier: TokenVerifier,
    private readonly reflector: Reflector,
  ) {}

  async canActivate(ctx: ExecutionContext): Promise<boolean> {
    const targets = [ctx.getHandler(), ctx.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(PUBLIC_ROUTE, targets)) return true;
    if (ctx.getType() !== 'http') throw new UnauthorizedError('BearerAuthGuard only guards HTTP routes');
    const req = ctx.switchToHttp().getRequest<HttpRequest>();
    const header = req.headers.authorization;
    if (Array.isArray(header)) throw new UnauthorizedError('more than one Authorization header');
    let token = extractBearer(header);
    if (header !== undefined && header !== '' && token === null) throw new UnauthorizedError('Authorization is not a Bearer token');
    if (token === null && this.reflector.getAllAndOverride<boolean>(ALLOW_QUERY_TOKEN, targets)) {
      const q = req.query?.access_token;
      if (q !== undefined && typeof q !== 'string') throw new UnauthorizedError('access_token must be given once');
      token = q || null;
    }
    req.principal = await this.verifier.verify(token);
    return true;
  }
}
