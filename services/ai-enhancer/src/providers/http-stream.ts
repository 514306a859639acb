import { CallGuard } from './call-guard';
import { ModelCallError } from './model-provider';

export interface PostOptions {
  headers?: Record<string, string>;
  maxRetries: number;
  maxRetryDelayMs: number;
}

const RETRYABLE = new Set([429, 503]);

/**
 * POSTs JSON and returns the response once it is a 2xx with a body. A 429/503 is retried after Retry-After
 * (capped) or a short backoff; any other non-2xx becomes `model_http_error` with the server's own message.
 */
export async function postForStream(url: string, body: unknown, guard: CallGuard, opts: PostOptions): Promise<ReadableStream<Uint8Array>> {
  for (let attempt = 0; ; attempt++) {
    const res = await fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/x-ndjson, text/event-stream', ...opts.headers },
      body: JSON.stringify(body),
      signal: guard.signal,
    });
    guard.touch();
    if (res.ok && res.body) return res.body;
    const detail = await errorText(res);
    if (RETRYABLE.has(res.status) && attempt < opts.maxRetries) {
      await guard.sleep(Math.min(opts.maxRetryDelayMs, retryDelayMs(res.headers.get('retry-after'), attempt)));
      continue;
    }
    throw new ModelCallError('model_http_error', `model server answered ${res.status}${detail ? `: ${detail}` : ''}`, res.status);
  }
}

/** Ollama says `{"error":"..."}`, OpenAI `{"error":{"message":"..."}}`; anything else is shown raw, shortened. */
async function errorText(res: Response): Promise<string> {
  const raw = await res.text().catch(() => '');
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

function retryDelayMs(header: string | null, attempt: number): number {
  const backoff = 250 * 2 ** attempt;
  if (!header) return backoff;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? backoff : Math.max(0, at - Date.now());
}

/**
 * The body as text lines (NDJSON, or SSE fed line by line), decoded across chunk borders.
 * A read that fails (connection reset mid-stream) is `model_stream_broken`; an early exit cancels the body.
 */
export async function* readLines(body: ReadableStream<Uint8Array>, guard: CallGuard): AsyncGenerator<string> {
  const reader = body.getReader();
  const decoder = new TextDecoder();
  let buffered = '';
  let finished = false;
  try {
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (e) {
        throw guard.signal.aborted ? e : new ModelCallError('model_stream_broken', `the model stream broke: ${(e as Error).message}`);
      }
      guard.touch();
      if (chunk.done) break;
      buffered += decoder.decode(chunk.value, { stream: true });
      let nl: number;
      while ((nl = buffered.indexOf('\n')) >= 0) {
        const line = buffered.slice(0, nl).replace(/\r$/, '');
        buffered = buffered.slice(nl + 1);
        yield line;
      }
    }
    buffered += decoder.decode();
    if (buffered) yield buffered;
    finished = true;
  } finally {
    if (!finished) await reader.cancel().catch(() => undefined);
    reader.releaseLock();
  }
}
