import { TaskOptions } from '@spectest/contracts';
import { ModelProvider, OllamaProvider, OpenAiProvider } from './providers';

/** Where the model servers are and how long a call may take: the service reads them from its environment, the CLI from flags. */
export interface ProviderSettings {
  ollamaUrl: string;
  ollamaModel: string;
  openaiBaseUrl: string;
  openaiApiKey?: string;
  openaiModel: string;
  /** Whole model call, connection to last byte. */
  callTimeoutMs: number;
  /** Longest silence inside a streamed answer before the call counts as stalled. */
  idleTimeoutMs: number;
}

export type ProviderChoice = { provider: ModelProvider } | { skipReason: string };

/** The provider a task asked for, configured from the settings; or why the stage is skipped. */
export function chooseProvider(ai: TaskOptions['ai'], settings: ProviderSettings): ProviderChoice {
  const name = ai?.provider ?? 'none';
  const common = { timeoutMs: settings.callTimeoutMs, idleTimeoutMs: settings.idleTimeoutMs };
  switch (name) {
    case 'none':
      return { skipReason: 'no AI provider selected (options.ai.provider is "none")' };
    case 'ollama':
      return { provider: new OllamaProvider({ ...common, baseUrl: settings.ollamaUrl, model: ai?.model ?? settings.ollamaModel }) };
    case 'openai':
      if (!settings.openaiApiKey && settings.openaiBaseUrl.startsWith('https://api.openai.com')) {
        return { skipReason: 'the openai provider is not configured (OPENAI_API_KEY is not set)' };
      }
      return {
        provider: new OpenAiProvider({ ...common, baseUrl: settings.openaiBaseUrl, apiKey: settings.openaiApiKey, model: ai?.model ?? settings.openaiModel }),
      };
  }
}
