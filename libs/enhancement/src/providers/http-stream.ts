import { IncomingMessage, request as httpRequest } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { CallGuard } from './call-guard';
import { ModelCallError } from './model-provider';

export interface PostOptions {
  headers?: Record<string, string>;
  maxRetries: number;
  maxRetryDelayMs: number;
}

/** Busy or briefly broken: worth another try. Other 4xx are our request's fault and would fail again. */
const RETRYABLE = new Set([429, 500, 502, 503, 504]);

/**
 * POSTs JSON and returns the response once it is a 2xx. A 429/5xx is retried after Retry-After (capped) or an
 * exponential backoff with jitter; any other non-2xx becomes `model_http_error` with the server's own message.
 *
 * node:http with a connection of its own (`agent: false`, `Connection: close`) rather than fetch: undici opens a
 * spare pooled connection when an aborted one is destroyed, and a model call is long enough that reuse buys nothing.
 * This way an abort or timeout leaves no socket open anywhere.
 */
export async function postForStream(url: string, body: unknown, guard: CallGuard, opts: PostOptions): Promise<IncomingMessage> {
  const payload = Buffer.from(JSON.stringify(body));
  for (let attempt = 0; ; attempt++) {
    const res = await send(url, payload, { accept: 'application/x-ndjson, text/event-stream', ...opts.headers }, guard.signal);
    guard.touch();
    const status = res.statusCode ?? 0;
    if (status >= 200 && status < 300) return res;
    const detail = errorText(await readAll(res));
    if (RETRYABLE.has(status) && attempt < opts.maxRetries) {
      await guard.sleep(Math.min(opts.maxRetryDelayMs, retryDelayMs(res.headers['retry-after'], attempt)));
      continue;
    }
    throw new ModelCallError('model_http_error', `model server answered ${status}${detail ? `: ${detail}` : ''}`, status);
  }
}

function send(url: string, payload: Buffer, headers: Record<string, string>, signal: AbortSignal): Promise<IncomingMessage> {
  return new Promise((resolve, reject) => {
    const target = new URL(url);
    const request = target.protocol === 'https:' ? httpsRequest : httpRequest;
    const req = request(target, {
      method: 'POST',
      agent: false,
      signal,
      headers: { 'content-type': 'application/json', 'content-length': String(payload.length), connection: 'close', ...headers },
    });
    req.once('response', resolve);
    req.once('error', reject);
    req.end(payload);
  });
}

async function readAll(res: IncomingMessage): Promise<string> {
  const parts: Buffer[] = [];
  try {
    for await (const c of res) parts.push(c as Buffer);
  } catch {
    // a short error body is still worth showing
  }
  return Buffer.concat(parts).toString('utf8');
}

/** Ollama says `{"error":"..."}`, OpenAI `{"error":{"message":"..."}}`; anything else is shown raw, shortened. */
function errorText(raw: string): string {
  try {
    const parsed = JSON.parse(raw) as { error?: string | { message?: string } };
    const e = parsed.error;
    if (typeof e === 'string') return e;
    if (e && typeof e.message === 'string') return e.message;
  } catch {
    // not JSON: fall through to the raw text
  }
  return raw.slice(0, 200).trim();
}

function retryDelayMs(header: string | undefined, attempt: number): number {
  // Full jitter around 250 ms, 500 ms, 1 s...: many tasks hitting one busy server do not retry in step.
  const backoff = 250 * 2 ** attempt * (0.5 + Math.random() / 2);
  if (!header) return backoff;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? backoff : Math.max(0, at - Date.now());
}

/**
 * The body as text lines (NDJSON, or SSE fed line by line), decoded across chunk borders.
 * A read that fails (connection reset mid-stream) is `model_stream_broken`; leaving the loop early destroys the response.
 */
export async function* readLines(res: IncomingMessage, guard: CallGuard): AsyncGenerator<string> {
  const decoder = new TextDecoder();
  let buffered = '';
  try {
    for await (const chunk of res) {
      guard.touch();
      buffered += decoder.decode(chunk as Buffer, { stream: true });
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl).replace(/\r$/, '');
        buffered = buffered.slice(nl + 1);
        yield line;
      }
    }
  } catch (e) {
    throw guard.signal.aborted || e instanceof ModelCallError ? e : new ModelCallError('model_stream_broken', `the model stream broke: ${(e as Error).message}`);
  } finally {
    res.destroy();
  }
  buffered += decoder.decode();
  if (buffered) yield buffered;
}

/** The chat messages both protocols send: our system prompt, then the endpoint's prompt. */
export const chatMessages = (req: { system: string; prompt: string }) => [
  { role: 'system', content: req.system },
  { role: 'user', content: req.prompt },
];

/** One JSON object of a model stream (an NDJSON line or an SSE `data:`); anything else breaks the stream. */
export function parseStreamObject<T>(text: string, what: 'line' | 'data'): T {
  try {
    const v: unknown = JSON.parse(text);
    if (v && typeof v === 'object') return v as T;
  } catch {
    // reported below
  }
  throw new ModelCallError('model_stream_broken', `the model stream sent ${what === 'line' ? 'a line' : 'data'} that is not JSON: ${text.slice(0, 80)}`);
}
