export { enhanceEndpoints } from './enhance-endpoints';
export type { EnhanceContext, EnhanceOutcome } from './enhance-endpoints';
export { buildEnhancementRequest } from './enhancement.prompt';
export { parseModelCases } from './parse-model-cases';
export type { ParsedCases } from './parse-model-cases';
export { answerJsonSchema, ModelCaseSchema } from './answer.schema';
export type { OperationLike } from './operation';
export type { StageUpdate } from './serial-reporter';
