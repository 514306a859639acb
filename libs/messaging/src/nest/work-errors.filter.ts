import { Catch, Optional, type ArgumentsHost, type ExceptionFilter } from '@nestjs/common';
import { BaseExceptionFilter, HttpAdapterHost } from '@nestjs/core';
import { throwError, type Observable } from 'rxjs';
import { DeliverySupersededError, PoisonMessageError, RetryLaterError } from '../messaging.types';

/**
 * Nest's default RPC filter turns every non-RpcException into `{ status: 'error', message:
 * 'Internal server error' }` (nestjs/nest#6496), which would make a RetryLaterError, a
 * PoisonMessageError or a DeliverySupersededError thrown in a controller look like an ordinary failure
 * (retried with backoff). This filter lets them reach WorkTransportStrategy unchanged. Registered globally by
 * MessagingModule; for a hybrid app, connect the microservice with `inheritAppConfig: true`.
 */
@Catch(RetryLaterError, PoisonMessageError, DeliverySupersededError)
export class WorkErrorsFilter implements ExceptionFilter {
  constructor(@Optional() private readonly adapterHost?: HttpAdapterHost) {}

  catch(exception: RetryLaterError | PoisonMessageError | DeliverySupersededError, host: ArgumentsHost): Observable<never> | void {
    if (host.getType() === 'rpc') return throwError(() => exception);
    // Thrown outside a work handler, they are plain server errors.
    return new BaseExceptionFilter(this.adapterHost?.httpAdapter).catch(exception, host);
  }
}
