import { loadConfigOrExit } from '@spectest/platform';
import { launch, runService } from '@spectest/runtime';
import { SpecParserConfigSchema } from './spec-parser.config';
import { SpecParserModule } from './spec-parser.module';

launch('spec-parser', () => {
  const config = loadConfigOrExit(SpecParserConfigSchema);
  return runService({ service: 'spec-parser', config, worker: true, modules: [SpecParserModule.forRoot(config)] });
});
