export * from './packager.config';
export * from './packager.module';
