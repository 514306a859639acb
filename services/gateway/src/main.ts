import { AuthModule, authConfigFromEnv } from '@spectest/auth';
import { loadConfigOrExit } from '@spectest/platform';
import { launch, runService } from '@spectest/runtime';
import { GatewayConfigSchema } from './gateway.config';
import { GatewayModule } from './gateway.module';

launch('gateway', () => {
  const config = loadConfigOrExit(GatewayConfigSchema);
  return runService({ service: 'gateway', config, worker: false, modules: [AuthModule.forRoot(authConfigFromEnv(config)), GatewayModule.forRoot(config)] });
});
