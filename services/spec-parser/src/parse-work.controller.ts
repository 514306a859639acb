import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { subjects } from '@spectest/contracts';
import { parseWorkMessage } from '@spectest/messaging';
import { SpecParserService } from './spec-parser.service';

/** Entry point of `work.parse` messages; acked when `run` resolves (after the stage committed). */
@Controller()
export class ParseWorkController {
  constructor(private readonly parser: SpecParserService) {}

  @EventPattern(subjects.work('parse'))
  async handle(@Payload() payload: unknown): Promise<void> {
    await this.parser.run(parseWorkMessage('parse', payload).taskId);
  }
}
