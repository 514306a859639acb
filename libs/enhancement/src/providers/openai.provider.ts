import { EventSourceMessage, createParser } from 'eventsource-parser';
import { CallGuard } from './call-guard';
import { postForStream, readLines, chatMessages, parseStreamObject } from './http-stream';
import { HttpProviderOptions, ModelCallError, ModelProvider, ModelRequest, ModelResult, PROVIDER_DEFAULTS, TokenProgress } from './model-provider';
import { TokenMeter, countOrNull, estimateTokens } from './token-meter';

export interface OpenAiProviderOptions extends HttpProviderOptions {
  /** Sent as a bearer token; optional for OpenAI-compatible local servers. */
  apiKey?: string;
}

interface OpenAiChunk {
  choices?: { delta?: { content?: string | null } }[];
  usage?: { prompt_tokens?: number; completion_tokens?: number } | null;
  error?: { message?: string };
}

/** OpenAI chat completions (and compatible servers), streaming SSE with `stream_options.include_usage`. `baseUrl` includes `/v1`. */
export class OpenAiProvider implements ModelProvider {
  readonly name = 'openai' as const;
  readonly model: string;

  constructor(private readonly opts: OpenAiProviderOptions) {
    this.model = opts.model;
  }

  async generate(req: ModelRequest, onTokens: (p: TokenProgress) => void, signal: AbortSignal): Promise<ModelResult> {
    const o = { ...PROVIDER_DEFAULTS, ...this.opts };
    const guard = new CallGuard(signal, o.timeoutMs, o.idleTimeoutMs);
    try {
      const headers: Record<string, string> = o.apiKey ? { authorization: `Bearer ${o.apiKey}` } : {};
      const body = await postForStream(`${o.baseUrl.replace(/\/+$/, '')}/chat/completions`, this.requestBody(req), guard, { ...o, headers });
      const meter = new TokenMeter(onTokens);
      const events: EventSourceMessage[] = [];
      const parser = createParser({ onEvent: (e) => events.push(e) });
      let text = '';
      let usage: OpenAiChunk['usage'] = null;
      let sawDone = false;
      for await (const line of readLines(body, guard)) {
        parser.feed(`${line}\n`);
        for (const e of events.splice(0)) {
          if (e.data === '[DONE]') {
            sawDone = true;
            break;
          }
          const chunk = parseStreamObject<OpenAiChunk>(e.data, 'data');
          if (chunk.error) throw new ModelCallError('model_stream_broken', `the model failed mid-stream: ${chunk.error.message ?? 'unknown error'}`);
          const piece = chunk.choices?.[0]?.delta?.content ?? '';
          if (piece) {
            text += piece;
            meter.chunk();
          }
          if (chunk.usage) usage = chunk.usage;
        }
        if (sawDone) break;
      }
      if (!sawDone) throw new ModelCallError('model_stream_broken', 'the model stream ended before [DONE]');
      return {
        text,
        promptTokens: countOrNull(usage?.prompt_tokens) ?? estimateTokens(req.system, req.prompt),
        completionTokens: countOrNull(usage?.completion_tokens) ?? meter.count,
        durationMs: meter.elapsedMs(),
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
      stream_options: { include_usage: true },
      // Not strict: strict mode forbids the free-form objects (body, query) our answer needs.
      ...(req.format ? { response_format: { type: 'json_schema', json_schema: { name: 'test_cases', schema: req.format, strict: false } } } : {}),
      ...(this.opts.temperature !== undefined ? { temperature: this.opts.temperature } : {}),
    };
  }
}
