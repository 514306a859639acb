import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { WorkMessageSchema, subjects } from '@spectest/contracts';
import { PoisonMessageError } from '@spectest/messaging';
import { PackagerService } from './packager.service';

@Controller()
export class PackageWorkController {
  constructor(private readonly packager: PackagerService) {}

  @EventPattern(subjects.work('package'))
  async handle(@Payload() payload: unknown): Promise<void> {
    const msg = WorkMessageSchema.safeParse(payload);
    if (!msg.success) throw new PoisonMessageError(`invalid work.package message: ${msg.error.message}`);
    await this.packager.run(msg.data.taskId);
  }
}
