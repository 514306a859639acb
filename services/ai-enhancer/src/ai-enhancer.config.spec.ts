import { parseConfig } from '@spectest/platform';
import { DEFAULT_SPEC_LIMITS } from '@spectest/openapi';
import { AiEnhancerConfigSchema, operationViewLimits } from './ai-enhancer.config';

const config = (env: Record<string, string> = {}) => parseConfig(AiEnhancerConfigSchema, { DATABASE_URL: 'postgres://127.0.0.1/x', ...env });

describe('ai-enhancer config', () => {
  it('takes the operation view limits from the SPEC_* variables, with the spec-parser defaults', () => {
    expect(operationViewLimits(config())).toEqual({
      maxSchemaNesting: DEFAULT_SPEC_LIMITS.maxSchemaNesting,
      maxExpandedNodes: DEFAULT_SPEC_LIMITS.maxExpandedNodes,
      maxExpandedBytes: DEFAULT_SPEC_LIMITS.maxExpandedBytes,
    });
    expect(operationViewLimits(config({ SPEC_MAX_SCHEMA_NESTING: '2' })).maxSchemaNesting).toBe(2);
  });

  it('refuses a bad SPEC_MAX_SCHEMA_NESTING at start', () => {
    expect(() => config({ SPEC_MAX_SCHEMA_NESTING: '0' })).toThrow(/SPEC_MAX_SCHEMA_NESTING/);
  });
});
