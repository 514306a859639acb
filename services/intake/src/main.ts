import { AuthModule, authConfigFromEnv } from '@spectest/auth';
import { loadConfigOrExit } from '@spectest/platform';
import { launch, runService } from '@spectest/runtime';
import { IntakeConfigSchema } from './intake.config';
import { configureIntakeHttp } from './intake.http';
import { IntakeModule } from './intake.module';

launch('intake', () => {
  const config = loadConfigOrExit(IntakeConfigSchema);
  return runService({
    service: 'intake',
    config,
    worker: false,
    dispatches: true,
    modules: [AuthModule.forRoot(authConfigFromEnv(config)), IntakeModule.forRoot(config)],
    configure: (app) => configureIntakeHttp(app, config),
  });
});
