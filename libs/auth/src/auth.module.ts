import { DynamicModule, Module, ModuleMetadata, Provider } from '@nestjs/common';
import { AuthConfig } from './auth.config';
import { AUTH_CONFIG, TOKEN_VERIFIER } from './auth.constants';
import { BearerAuthGuard } from './bearer-auth.guard';
import { createTokenVerifier } from './token-verifier';

export interface AuthModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  useFactory: (...args: any[]) => AuthConfig | Promise<AuthConfig>;
  inject?: any[];
}

/** Global: one TokenVerifier per process, shared by the HTTP guard and the socket handshake. */
@Module({})
export class AuthModule {
  static forRoot(config: AuthConfig): DynamicModule {
    return AuthModule.build([{ provide: AUTH_CONFIG, useValue: config }]);
  }

  static forRootAsync(options: AuthModuleAsyncOptions): DynamicModule {
    return {
      ...AuthModule.build([{ provide: AUTH_CONFIG, useFactory: options.useFactory, inject: options.inject ?? [] }]),
      imports: options.imports ?? [],
    };
  }

  private static build(configProvider: Provider[]): DynamicModule {
    return {
      module: AuthModule,
      global: true,
      providers: [
        ...configProvider,
        { provide: TOKEN_VERIFIER, useFactory: (config: AuthConfig) => createTokenVerifier(config), inject: [AUTH_CONFIG] },
        BearerAuthGuard,
      ],
      exports: [AUTH_CONFIG, TOKEN_VERIFIER, BearerAuthGuard],
    };
  }
}
