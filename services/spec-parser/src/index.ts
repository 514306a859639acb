export * from './spec-parser.config';
export * from './spec-parser.module';
