export * from './infrastructure';
export * from './bootstrap';
