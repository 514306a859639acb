import { loadConfigOrExit } from '@spectest/platform';
import { launch, runService } from '@spectest/runtime';
import { PackagerConfigSchema } from './packager.config';
import { PackagerModule } from './packager.module';

launch('packager', () => {
  const config = loadConfigOrExit(PackagerConfigSchema);
  return runService({ service: 'packager', config, worker: true, modules: [PackagerModule.forRoot(config)] });
});
