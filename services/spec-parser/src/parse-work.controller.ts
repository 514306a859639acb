import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { subjects } from '@spectest/contracts';
import { WorkContext } from '@spectest/messaging';
import { StageRunner } from '@spectest/progress';
import { SpecParserService } from './spec-parser.service';

/** Entry point of `work.parse` messages; acked when the run resolves (after the stage committed). */
@Controller()
export class ParseWorkController {
  constructor(
    private readonly runner: StageRunner,
    private readonly parser: SpecParserService,
  ) {}

  @EventPattern(subjects.work('parse'))
  async handle(@Payload() payload: unknown, @Ctx() ctx: WorkContext): Promise<void> {
    await this.runner.run('parse', payload, ctx.getDelivery(), (run) => this.parser.run(run));
  }
}
