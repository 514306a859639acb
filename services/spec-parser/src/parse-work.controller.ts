import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { WorkMessageSchema, subjects } from '@spectest/contracts';
import { PoisonMessageError } from '@spectest/messaging';
import { SpecParserService } from './spec-parser.service';

/** Entry point of `work.parse` messages; acked when `run` resolves (after the stage committed). */
@Controller()
export class ParseWorkController {
  constructor(private readonly parser: SpecParserService) {}

  @EventPattern(subjects.work('parse'))
  async handle(@Payload() payload: unknown): Promise<void> {
    const msg = WorkMessageSchema.safeParse(payload);
    if (!msg.success) throw new PoisonMessageError(`invalid work.parse message: ${msg.error.message}`);
    await this.parser.run(msg.data.taskId);
  }
}
