import { DynamicModule, Module } from '@nestjs/common';
import { MulterModule } from '@nestjs/platform-express';
import { ArtifactController } from './artifact.controller';
import { INTAKE_CONFIG, IntakeConfig } from './intake.config';
import { SubmitTaskService } from './submit-task.service';
import { TaskCancelService } from './task-cancel.service';
import { TaskEventsController } from './task-events.controller';
import { TaskReaperService } from './task-reaper.service';
import { TaskWaiter } from './task-waiter';
import { TasksController } from './tasks.controller';

/** The REST API of API.md: submit, snapshot, list, SSE, artifact, cancel; plus the timeout reaper. Needs AuthModule. */
@Module({})
export class IntakeModule {
  static forRoot(config: IntakeConfig): DynamicModule {
    return {
      module: IntakeModule,
      imports: [
        MulterModule.register({ limits: { fileSize: config.MAX_SPEC_BYTES, files: 1, fields: 10, fieldSize: 1024 * 1024 } }),
      ],
      controllers: [TasksController, TaskEventsController, ArtifactController],
      providers: [
        { provide: INTAKE_CONFIG, useValue: config },
        SubmitTaskService,
        TaskCancelService,
        TaskWaiter,
        TaskReaperService,
      ],
    };
  }
}
