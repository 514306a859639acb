import { loadConfigOrExit } from '@spectest/platform';
import { launch, runService } from '@spectest/runtime';
import { AiEnhancerConfigSchema } from './ai-enhancer.config';
import { AiEnhancerModule } from './ai-enhancer.module';

launch('ai-enhancer', () => {
  const config = loadConfigOrExit(AiEnhancerConfigSchema);
  return runService({ service: 'ai-enhancer', config, worker: true, modules: [AiEnhancerModule.forRoot(config)] });
});
