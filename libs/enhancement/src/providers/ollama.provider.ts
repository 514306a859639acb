import { CallGuard } from './call-guard';
import { postForStream, readLines, chatMessages, parseStreamObject } from './http-stream';
import { HttpProviderOptions, ModelCallError, ModelProvider, ModelRequest, ModelResult, PROVIDER_DEFAULTS, TokenProgress } from './model-provider';
import { TokenMeter, countOrNull, estimateTokens } from './token-meter';

/** The fields of an /api/chat stream line we read; the final line (done: true) carries the counters. */
interface OllamaChunk {
  message?: { content?: string };
  done?: boolean;
  error?: string;
  prompt_eval_count?: number;
  eval_count?: number;
  eval_duration?: number;
}

/**
 * Ollama over its native /api/chat, streaming NDJSON. Plain fetch rather than the `ollama` npm client:
 * the client aborts through `client.abort()`/iterator `abort()`, not a per-call AbortSignal, has no timeouts,
 * and we need our own stream reader for OpenAI anyway.
 */
export class OllamaProvider implements ModelProvider {
  readonly name = 'ollama' as const;
  readonly model: string;

  constructor(private readonly opts: HttpProviderOptions) {
    this.model = opts.model;
  }

  async generate(req: ModelRequest, onTokens: (p: TokenProgress) => void, signal: AbortSignal): Promise<ModelResult> {
    const o = { ...PROVIDER_DEFAULTS, ...this.opts };
    const guard = new CallGuard(signal, o.timeoutMs, o.idleTimeoutMs);
    try {
      const body = await postForStream(`${o.baseUrl.replace(/\/+$/, '')}/api/chat`, this.requestBody(req), guard, o);
      const meter = new TokenMeter(onTokens);
      let text = '';
      let final: OllamaChunk | null = null;
      for await (const line of readLines(body, guard)) {
        if (!line.trim()) continue;
        const msg = parseStreamObject<OllamaChunk>(line, 'line');
        if (typeof msg.error === 'string') throw new ModelCallError('model_stream_broken', `the model failed mid-stream: ${msg.error}`);
        const piece = msg.message?.content ?? '';
        if (piece) {
          text += piece;
          meter.chunk();
        }
        if (msg.done === true) {
          final = msg;
          break;
        }
      }
      if (!final) throw new ModelCallError('model_stream_broken', 'the model stream ended before its final chunk');
      const evalNs = countOrNull(final.eval_duration);
      return {
        text,
        // Ollama leaves prompt_eval_count out when the whole prompt came from its cache.
        promptTokens: countOrNull(final.prompt_eval_count) ?? estimateTokens(req.system, req.prompt),
        completionTokens: countOrNull(final.eval_count) ?? meter.count,
        durationMs: evalNs !== null ? Math.round(evalNs / 1e6) : meter.elapsedMs(),
      };
    } catch (e) {
      throw guard.toError(e);
    } finally {
      guard.dispose();
    }
  }

  private requestBody(req: ModelRequest): Record<string, unknown> {
    return {
      model: this.model,
      messages: chatMessages(req),
      stream: true,
      ...(req.format ? { format: req.format } : {}),
      ...(this.opts.temperature !== undefined ? { options: { temperature: this.opts.temperature } } : {}),
    };
  }
}
