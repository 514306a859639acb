import { ExecutionContext, SetMetadata, createParamDecorator } from '@nestjs/common';
import { Principal } from './auth.config';
import { ALLOW_QUERY_TOKEN, PUBLIC_ROUTE } from './auth.constants';
import { UnauthorizedError } from './auth.errors';

/** The request as BearerAuthGuard leaves it. */
export interface AuthenticatedRequest {
  principal?: Principal;
}

/**
 * Also accept `?access_token=` on this route (or every route of a controller): EventSource cannot set headers.
 * Query strings end up in access logs, so keep it to the SSE route and redact it in logging.
 */
export const AllowQueryToken = (): MethodDecorator & ClassDecorator => SetMetadata(ALLOW_QUERY_TOKEN, true);

/** Skip BearerAuthGuard on this route (health, metrics) when the guard is applied globally. */
export const PublicRoute = (): MethodDecorator & ClassDecorator => SetMetadata(PUBLIC_ROUTE, true);

/** The principal BearerAuthGuard attached; refuses when the route was not guarded, rather than answering undefined. */
export const CurrentPrincipal = createParamDecorator((_data: unknown, ctx: ExecutionContext): Principal => {
  const principal = ctx.switchToHttp().getRequest<AuthenticatedRequest>().principal;
  if (!principal) throw new UnauthorizedError('route is not authenticated');
  return principal;
});
