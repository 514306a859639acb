import { DynamicModule, Module } from '@nestjs/common';
import { GATEWAY_CONFIG, GatewayConfig } from './gateway.config';
import { TaskEventsGateway } from './task-events.gateway';

/** The Socket.IO fan-out of task events. Needs AuthModule (the token verifier). */
@Module({})
export class GatewayModule {
  static forRoot(config: GatewayConfig): DynamicModule {
    return {
      module: GatewayModule,
      providers: [{ provide: GATEWAY_CONFIG, useValue: config }, TaskEventsGateway],
    };
  }
}
