import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { WorkMessageSchema, subjects } from '@spectest/contracts';
import { PoisonMessageError } from '@spectest/messaging';
import { AiEnhancerService } from './ai-enhancer.service';

@Controller()
export class EnhanceWorkController {
  constructor(private readonly enhancer: AiEnhancerService) {}

  @EventPattern(subjects.work('enhance'))
  async handle(@Payload() payload: unknown): Promise<void> {
    const msg = WorkMessageSchema.safeParse(payload);
    if (!msg.success) throw new PoisonMessageError(`invalid work.enhance message: ${msg.error.message}`);
    await this.enhancer.run(msg.data.taskId);
  }
}
