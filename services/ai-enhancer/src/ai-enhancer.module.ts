import { DynamicModule, Module } from '@nestjs/common';
import { AI_ENHANCER_CONFIG, AiEnhancerConfig } from './ai-enhancer.config';
import { AiEnhancerService } from './ai-enhancer.service';
import { EnhanceWorkController } from './enhance-work.controller';
import { TaskAbortRegistry } from './task-abort.registry';

/** The enhancer's feature: `work.enhance` -> model calls (or skip) -> `work.package`. */
@Module({})
export class AiEnhancerModule {
  static forRoot(config: AiEnhancerConfig): DynamicModule {
    return {
      module: AiEnhancerModule,
      controllers: [EnhanceWorkController],
      providers: [AiEnhancerService, TaskAbortRegistry, { provide: AI_ENHANCER_CONFIG, useValue: config }],
    };
  }
}
