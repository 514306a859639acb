export * from './gateway.config';
export * from './gateway.module';
