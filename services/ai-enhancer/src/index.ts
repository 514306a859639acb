export * from './ai-enhancer.config';
export * from './ai-enhancer.module';
