import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { subjects } from '@spectest/contracts';
import { parseWorkMessage } from '@spectest/messaging';
import { AiEnhancerService } from './ai-enhancer.service';

@Controller()
export class EnhanceWorkController {
  constructor(private readonly enhancer: AiEnhancerService) {}

  @EventPattern(subjects.work('enhance'))
  async handle(@Payload() payload: unknown): Promise<void> {
    await this.enhancer.run(parseWorkMessage('enhance', payload).taskId);
  }
}
