import { BaseRpcContext } from '@nestjs/microservices';
import type { WorkStage } from '@spectest/contracts';
import type { WorkDelivery } from '../messaging.types';

/** What `@Ctx()` gives a work handler: the stage, and the delivery (attempt number, inProgress()). */
export class WorkContext extends BaseRpcContext<[WorkStage, WorkDelivery]> {
  getStage(): WorkStage {
    return this.args[0];
  }

  getDelivery(): WorkDelivery {
    return this.args[1];
  }
}
