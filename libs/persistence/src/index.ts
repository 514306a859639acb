export * from './data-source';
export * from './task.store';
export * from './task.mapper';
export * from './artifact.store';
export * from './generation.store';
export { TaskEntity } from './entities/task.entity';
export { TaskEventEntity } from './entities/task-event.entity';
export { SpecEntity } from './entities/spec.entity';
export * from './database.module';
