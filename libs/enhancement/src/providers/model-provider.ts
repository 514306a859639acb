/** What one model call asks for. */
export interface ModelRequest {
  system: string;
  prompt: string;
  /** JSON Schema of the answer, for providers with structured output (Ollama `format`, OpenAI `response_format`). */
  format?: object;
}

/** Live and approximate: one streamed chunk counts as one completion token. */
export interface TokenProgress {
  completion: number;
  /** Completion tokens per second since the first token arrived. */
  perSecond: number;
}

/** Counts are exact when the server reports them (Ollama's final chunk, OpenAI's usage chunk), estimated otherwise. */
export interface ModelResult {
  text: string;
  promptTokens: number;
  completionTokens: number;
  /** Time spent generating the completion: Ollama's eval_duration; wall clock from first to last token otherwise. */
  durationMs: number;
}

export type ProviderName = 'ollama' | 'openai';

export interface ModelProvider {
  readonly name: ProviderName;
  readonly model: string;
  /**
   * Streams one completion. Rejects only with a {@link ModelCallError}.
   * Aborting `signal` ends the HTTP stream and rejects with `model_aborted`; nothing (socket, timer, listener) outlives the call.
   */
  generate(req: ModelRequest, onTokens: (p: TokenProgress) => void, signal: AbortSignal): Promise<ModelResult>;
}

/** Settings shared by the HTTP providers. */
export interface HttpProviderOptions {
  /** Server root, e.g. http://127.0.0.1:11434 for Ollama, https://api.openai.com/v1 for OpenAI. */
  baseUrl: string;
  model: string;
  /** Whole-call limit, connection to last byte. Default 120 000. */
  timeoutMs?: number;
  /** Longest silence allowed between two bytes of the answer (a stalled stream). Default 30 000. */
  idleTimeoutMs?: number;
  /** Retries of a 429/5xx answer before any byte of the stream was read. Default 2. */
  maxRetries?: number;
  /** Ceiling of one wait between retries, whatever Retry-After says. Default 5 000. */
  maxRetryDelayMs?: number;
  temperature?: number;
}

export const PROVIDER_DEFAULTS = {
  timeoutMs: 120_000,
  idleTimeoutMs: 30_000,
  maxRetries: 2,
  maxRetryDelayMs: 5_000,
} as const;

/** `model_unreachable`: no HTTP answer at all (connection refused, reset before headers, DNS). */
export type ModelCallErrorCode =
  | 'model_http_error'
  | 'model_timeout'
  | 'model_aborted'
  | 'model_stream_broken'
  | 'model_unreachable';

/** The one error a provider rejects with. `status` is set for `model_http_error`. */
export class ModelCallError extends Error {
  constructor(
    readonly code: ModelCallErrorCode,
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'ModelCallError';
  }
}

export const isModelCallError = (e: unknown): e is ModelCallError => e instanceof ModelCallError;
