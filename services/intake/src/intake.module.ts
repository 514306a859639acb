import { DynamicModule, Module } from '@nestjs/common';
import { ArtifactController } from './artifact.controller';
import { INTAKE_CONFIG, IntakeConfig } from './intake.config';
import { SubmitTaskService } from './submit-task.service';
import { TaskCancelService } from './task-cancel.service';
import { TaskEventsController } from './task-events.controller';
import { TaskReaperService } from './task-reaper.service';
import { TaskWaiter } from './task-waiter';
import { TasksController } from './tasks.controller';
import { UploadLimiter } from './upload-limiter';

/** The REST API of API.md: submit, snapshot, list, SSE, artifact, cancel; plus the timeout reaper. Needs AuthModule. */
@Module({})
export class IntakeModule {
  static forRoot(config: IntakeConfig): DynamicModule {
    return {
      module: IntakeModule,
      controllers: [TasksController, TaskEventsController, ArtifactController],
      providers: [
        { provide: INTAKE_CONFIG, useValue: config },
        SubmitTaskService,
        TaskCancelService,
        TaskWaiter,
        TaskReaperService,
        { provide: UploadLimiter, useValue: new UploadLimiter({ budgetBytes: config.UPLOAD_MEMORY_BYTES, perClient: config.MAX_UPLOADS_PER_CLIENT }) },
      ],
    };
  }
}
