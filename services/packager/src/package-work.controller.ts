import { Controller } from '@nestjs/common';
import { EventPattern, Payload } from '@nestjs/microservices';
import { subjects } from '@spectest/contracts';
import { parseWorkMessage } from '@spectest/messaging';
import { PackagerService } from './packager.service';

@Controller()
export class PackageWorkController {
  constructor(private readonly packager: PackagerService) {}

  @EventPattern(subjects.work('package'))
  async handle(@Payload() payload: unknown): Promise<void> {
    await this.packager.run(parseWorkMessage('package', payload).taskId);
  }
}
