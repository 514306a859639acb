import { TaskOptions } from '@spectest/contracts';
import { AiEnhancerConfig } from './ai-enhancer.config';
import { ModelProvider, OllamaProvider, OpenAiProvider } from './providers';

export type ProviderChoice = { provider: ModelProvider } | { skipReason: string };

/** The provider a task asked for, configured from the environment; or why the stage is skipped. */
export function chooseProvider(ai: TaskOptions['ai'], config: AiEnhancerConfig): ProviderChoice {
  const name = ai?.provider ?? 'none';
  const common = { timeoutMs: config.AI_CALL_TIMEOUT_MS, idleTimeoutMs: config.AI_IDLE_TIMEOUT_MS };
  switch (name) {
    case 'none':
      return { skipReason: 'no AI provider selected (options.ai.provider is "none")' };
    case 'ollama':
      return { provider: new OllamaProvider({ ...common, baseUrl: config.OLLAMA_URL, model: ai?.model ?? config.OLLAMA_MODEL }) };
    case 'openai':
      if (!config.OPENAI_API_KEY && config.OPENAI_BASE_URL.startsWith('https://api.openai.com')) {
        return { skipReason: 'the openai provider is not configured on this server (OPENAI_API_KEY is not set)' };
      }
      return {
        provider: new OpenAiProvider({ ...common, baseUrl: config.OPENAI_BASE_URL, apiKey: config.OPENAI_API_KEY, model: ai?.model ?? config.OPENAI_MODEL }),
      };
  }
}
