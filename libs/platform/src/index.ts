export * from './config';
export * from './logger';
export * from './metrics';
export * from './readiness';
export * from './health.controller';
export * from './metrics.controller';
export * from './problem.filter';
export * from './platform.module';
