export * from './intake.config';
export * from './intake.module';
export * from './intake.http';
export * from './intake.openapi';
