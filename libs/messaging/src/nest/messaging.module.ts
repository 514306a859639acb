import { Global, Module, type DynamicModule } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import type { Messaging } from '../messaging.types';
import { WorkErrorsFilter } from './work-errors.filter';

/** Injection token of the process's Messaging: `@Inject(MESSAGING) messaging: Messaging`. */
export const MESSAGING = Symbol('MESSAGING');

/**
 * Makes one Messaging injectable everywhere. The instance is created (and closed) by main.ts, so the
 * embedded mode can hand the same InProcessMessaging to every service's module.
 */
@Global()
@Module({})
export class MessagingModule {
  static forRoot(messaging: Messaging): DynamicModule {
    return {
      module: MessagingModule,
      global: true,
      providers: [
        { provide: MESSAGING, useValue: messaging },
        { provide: APP_FILTER, useClass: WorkErrorsFilter },
      ],
      exports: [MESSAGING],
    };
  }
}
