import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { subjects } from '@spectest/contracts';
import { WorkContext } from '@spectest/messaging';
import { StageRunner } from '@spectest/progress';
import { AiEnhancerService } from './ai-enhancer.service';

@Controller()
export class EnhanceWorkController {
  constructor(
    private readonly runner: StageRunner,
    private readonly enhancer: AiEnhancerService,
  ) {}

  @EventPattern(subjects.work('enhance'))
  async handle(@Payload() payload: unknown, @Ctx() ctx: WorkContext): Promise<void> {
    await this.runner.run('enhance', payload, ctx.getDelivery(), (run) => this.enhancer.run(run));
  }
}
