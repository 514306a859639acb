export { buildFoundationCases } from './foundation-cases';
export type { FoundationCaseOptions } from './foundation-cases';
export { markMockJudgement, mockJudgementMarker } from './mock-judgement';
export { isJsonContentType } from './negative-cases';
export { serializePath, serializeQuery } from './parameter-style';
export type { ParameterLocation, Primitive, StyleValue } from './parameter-style';
