export { readSpec } from './spec/read-spec';
export type { ParsedSpec, ReadSpecStep, ReadSpecStepListener } from './spec/parsed-spec';
export { DEFAULT_SPEC_LIMITS, resolveSpecLimits } from './spec/spec-limits';
export type { SpecLimits } from './spec/spec-limits';
export { filterEndpoints } from './spec/endpoint-filter';
export type { EndpointInclude } from './spec/endpoint-filter';
export { endpointKey } from './spec/endpoint-lister';
