import { commonEnvShape, envInt } from '@spectest/platform';
import type { ProviderSettings } from '@spectest/enhancement';
import { DEFAULT_SPEC_LIMITS, SpecLimits } from '@spectest/openapi';
import { z } from 'zod';

export const aiEnhancerEnvShape = {
  OLLAMA_URL: z.string().url().default('http://127.0.0.1:11434'),
  OLLAMA_MODEL: z.string().min(1).default('llama3.2'),
  OPENAI_BASE_URL: z.string().url().default('https://api.openai.com/v1'),
  OPENAI_API_KEY: z.string().min(1).optional(),
  OPENAI_MODEL: z.string().min(1).default('gpt-4o-mini'),
  /** Whole model call, connection to last byte. */
  AI_CALL_TIMEOUT_MS: envInt(120_000, 1000),
  /** Longest silence inside a streamed answer before the call counts as stalled. */
  AI_IDLE_TIMEOUT_MS: envInt(30_000, 500),
  /** Cases asked of the model per endpoint when options.ai.maxCasesPerEndpoint is not given. */
  AI_MAX_CASES_PER_ENDPOINT: envInt(5, 1, 50),
  /** Model calls in flight at once per task (endpoints enhanced in parallel). */
  AI_CONCURRENCY: envInt(2, 1, 32),
  /** Model tokens a tenant may spend in total (prompt + completion); unset: unlimited. Intake refuses with 402 once spent. */
  TENANT_TOKEN_BUDGET: z.coerce.number().int().min(1).optional(),
  /**
   * How far an operation's view (what the model is shown) is expanded: the spec-parser's variables of the same
   * names and defaults, so the model sees an operation as its foundation cases were built from it.
   */
  SPEC_MAX_SCHEMA_NESTING: envInt(DEFAULT_SPEC_LIMITS.maxSchemaNesting, 1),
  SPEC_MAX_EXPANDED_NODES: envInt(DEFAULT_SPEC_LIMITS.maxExpandedNodes, 1),
  SPEC_MAX_EXPANDED_BYTES: envInt(DEFAULT_SPEC_LIMITS.maxExpandedBytes, 1),
};

export const AiEnhancerConfigSchema = z.object({ ...commonEnvShape, ...aiEnhancerEnvShape, PORT: envInt(3003, 0, 65535) });
export type AiEnhancerConfig = z.infer<typeof AiEnhancerConfigSchema>;
export const AI_ENHANCER_CONFIG = Symbol('AI_ENHANCER_CONFIG');

/** The expansion limits of an operation's view, as the spec-parser applies them. */
export function operationViewLimits(config: AiEnhancerConfig): Pick<SpecLimits, 'maxSchemaNesting' | 'maxExpandedNodes' | 'maxExpandedBytes'> {
  return {
    maxSchemaNesting: config.SPEC_MAX_SCHEMA_NESTING,
    maxExpandedNodes: config.SPEC_MAX_EXPANDED_NODES,
    maxExpandedBytes: config.SPEC_MAX_EXPANDED_BYTES,
  };
}

/** The model servers and call timeouts of the config, as the enhancement core takes them. */
export function providerSettings(config: AiEnhancerConfig): ProviderSettings {
  return {
    ollamaUrl: config.OLLAMA_URL,
    ollamaModel: config.OLLAMA_MODEL,
    openaiBaseUrl: config.OPENAI_BASE_URL,
    openaiApiKey: config.OPENAI_API_KEY,
    openaiModel: config.OPENAI_MODEL,
    callTimeoutMs: config.AI_CALL_TIMEOUT_MS,
    idleTimeoutMs: config.AI_IDLE_TIMEOUT_MS,
  };
}
