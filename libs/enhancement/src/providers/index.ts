export * from './model-provider';
export { OllamaProvider } from './ollama.provider';
export { OpenAiProvider } from './openai.provider';
export type { OpenAiProviderOptions } from './openai.provider';
