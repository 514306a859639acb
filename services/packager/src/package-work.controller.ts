import { Controller } from '@nestjs/common';
import { Ctx, EventPattern, Payload } from '@nestjs/microservices';
import { subjects } from '@spectest/contracts';
import { WorkContext } from '@spectest/messaging';
import { StageRunner } from '@spectest/progress';
import { PackagerService } from './packager.service';

@Controller()
export class PackageWorkController {
  constructor(
    private readonly runner: StageRunner,
    private readonly packager: PackagerService,
  ) {}

  @EventPattern(subjects.work('package'))
  async handle(@Payload() payload: unknown, @Ctx() ctx: WorkContext): Promise<void> {
    await this.runner.run('package', payload, ctx.getDelivery(), (run) => this.packager.run(run));
  }
}
