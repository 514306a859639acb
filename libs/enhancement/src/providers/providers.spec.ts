import { FakeModelServer, startFakeModelServer } from '../../../../tests/support/fake-model-server';
import { HttpProviderOptions, ModelCallError, ModelProvider, ModelRequest, TokenProgress } from './model-provider';
import { OllamaProvider } from './ollama.provider';
import { OpenAiProvider } from './openai.provider';

const REQ: ModelRequest = {
  system: 'You write API tests.',
  prompt: 'Operation: POST /pets\nRequest body (required, application/json): {}\nDocumented responses: 201, 400',
  format: { type: 'object', required: ['cases'] },
};

type Make = (url: string, o?: Partial<HttpProviderOptions>) => ModelProvider;
const PROVIDERS: [string, Make][] = [
  ['ollama', (url, o) => new OllamaProvider({ baseUrl: url, model: 'llama3.2', ...o })],
  ['openai', (url, o) => new OpenAiProvider({ baseUrl: `${url}/v1`, model: 'gpt-4o-mini', apiKey: 'sk-test', ...o })],
];

/** Timers the event loop is kept alive by, to see that a call leaves none behind. */
const activeTimers = () => process.getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

async function waitFor(cond: () => boolean, ms = 2000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}

async function failure(p: Promise<unknown>): Promise<ModelCallError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(ModelCallError);
    return e as ModelCallError;
  }
  throw new Error('expected the call to fail');
}

describe.each(PROVIDERS)('%s provider against the fake model server', (_name, make) => {
  let server: FakeModelServer;
  beforeEach(async () => {
    server = await startFakeModelServer({ tokensPerSecond: 2000 });
  });
  afterEach(async () => {
    await server.close();
  });

  it('returns the text and the exact counters of the final chunk, with one live callback per chunk', async () => {
    const seen: TokenProgress[] = [];
    const result = await make(server.url).generate(REQ, (p) => seen.push(p), new AbortController().signal);
    const reply = server.requests[0].reply!;
    expect(result.text).toBe(reply.text);
    expect(result.promptTokens).toBe(reply.promptTokens);
    expect(result.completionTokens).toBe(reply.completionTokens);
    expect(result.durationMs).toBeGreaterThanOrEqual(0);
    expect(seen.map((p) => p.completion)).toEqual(Array.from({ length: reply.completionTokens }, (_, i) => i + 1));
    expect(seen.at(-1)!.perSecond).toBeGreaterThan(0);
    expect(JSON.parse(result.text).cases[0].request.method).toBe('POST');
  });

  it('retries a 429 and then succeeds', async () => {
    server.setBehaviour({ kind: 'rate_limit', times: 1, retryAfterSeconds: 0 });
    const result = await make(server.url).generate(REQ, () => undefined, new AbortController().signal);
    expect(server.requests.map((r) => r.status)).toEqual([429, 200]);
    expect(result.completionTokens).toBeGreaterThan(0);
  });

  it('gives up on 429 after maxRetries with model_http_error 429', async () => {
    server.setBehaviour({ kind: 'rate_limit', times: 10, retryAfterSeconds: 0 });
    const e = await failure(make(server.url, { maxRetries: 1 }).generate(REQ, () => undefined, new AbortController().signal));
    expect([e.code, e.status]).toEqual(['model_http_error', 429]);
    expect(server.requests).toHaveLength(2);
  });

  it('retries a 500 (and a 502) with backoff, then turns it into model_http_error with the server message', async () => {
    server.setBehaviour({ kind: 'server_error', message: 'llama runner crashed' });
    const e = await failure(make(server.url).generate(REQ, () => undefined, new AbortController().signal));
    expect(e).toMatchObject({ code: 'model_http_error', status: 500 });
    expect(e.message).toContain('llama runner crashed');
    expect(server.requests.map((r) => r.status)).toEqual([500, 500, 500]);
  });

  it('succeeds when a 5xx clears up before the retries run out', async () => {
    server.setBehaviour((_req, i) => (i < 2 ? { kind: 'server_error', status: i === 0 ? 502 : 500 } : { kind: 'ok' }));
    const result = await make(server.url).generate(REQ, () => undefined, new AbortController().signal);
    expect(server.requests.map((r) => r.status)).toEqual([502, 500, 200]);
    expect(result.completionTokens).toBeGreaterThan(0);
  });

  it('does not retry a 400: the request itself is wrong', async () => {
    server.setBehaviour({ kind: 'server_error', status: 400, message: 'bad format' });
    const e = await failure(make(server.url).generate(REQ, () => undefined, new AbortController().signal));
    expect(e).toMatchObject({ code: 'model_http_error', status: 400 });
    expect(server.requests).toHaveLength(1);
  });

  it('passes invalid JSON and cases for missing operations through as text (judging them is the parser\'s job)', async () => {
    server.setBehaviour({ kind: 'invalid_json' });
    const bad = await make(server.url).generate(REQ, () => undefined, new AbortController().signal);
    expect(bad.text).toBe(server.requests[0].reply!.text);
    server.setBehaviour({ kind: 'unknown_operation' });
    const wrong = await make(server.url).generate(REQ, () => undefined, new AbortController().signal);
    expect(wrong.text).toContain('/does-not-exist');
  });

  it('reports a connection dropped mid-stream as model_stream_broken', async () => {
    server.setBehaviour({ kind: 'drop', afterTokens: 4 });
    const seen: TokenProgress[] = [];
    const e = await failure(make(server.url).generate(REQ, (p) => seen.push(p), new AbortController().signal));
    expect(e.code).toBe('model_stream_broken');
    expect(seen.length).toBe(4);
  });

  it('times out a stalled stream (idle timeout) and closes the connection', async () => {
    server.setBehaviour({ kind: 'stall', afterTokens: 3 });
    const started = Date.now();
    const e = await failure(make(server.url, { idleTimeoutMs: 300 }).generate(REQ, () => undefined, new AbortController().signal));
    expect(e.code).toBe('model_timeout');
    expect(e.message).toMatch(/stalled/);
    expect(Date.now() - started).toBeLessThan(1500);
    await waitFor(() => server.requests[0].socketClosed);
    expect(server.requests[0].closedByClient).toBe(true);
  });

  it('times out a call that takes longer than timeoutMs, however steady', async () => {
    server.setBehaviour({ kind: 'slow', tokensPerSecond: 20 });
    const e = await failure(make(server.url, { timeoutMs: 400 }).generate(REQ, () => undefined, new AbortController().signal));
    expect(e.code).toBe('model_timeout');
    await waitFor(() => server.requests[0].socketClosed);
  });

  it('stops the stream within a second of abort and leaves no socket or timer behind', async () => {
    server.setBehaviour({ kind: 'slow', tokensPerSecond: 20 });
    const timersBefore = activeTimers();
    const ac = new AbortController();
    const seen: TokenProgress[] = [];
    const call = failure(make(server.url).generate(REQ, (p) => seen.push(p), ac.signal));
    await waitFor(() => seen.length >= 2);
    const abortedAt = Date.now();
    ac.abort();
    const e = await call;
    expect(e.code).toBe('model_aborted');
    expect(Date.now() - abortedAt).toBeLessThan(1000);
    await waitFor(() => server.requests[0].socketClosed, 1000);
    expect(server.requests[0].closedByClient).toBe(true);
    expect(server.openSockets()).toBe(0);
    // Let the fake's own pacing timer (50 ms at 20 tokens/s) run out: only the client's timers are in question.
    await new Promise((r) => setTimeout(r, 120));
    expect(activeTimers()).toBeLessThanOrEqual(timersBefore);
  });

  it('does not call the server when the signal is already aborted', async () => {
    const ac = new AbortController();
    ac.abort();
    const e = await failure(make(server.url).generate(REQ, () => undefined, ac.signal));
    expect(e.code).toBe('model_aborted');
    await new Promise((r) => setTimeout(r, 50));
    expect(server.requests).toHaveLength(0);
  });

  it('aborts during a Retry-After wait', async () => {
    server.setBehaviour({ kind: 'rate_limit', times: 1, retryAfterSeconds: 30 });
    const ac = new AbortController();
    const call = failure(make(server.url, { maxRetryDelayMs: 30_000 }).generate(REQ, () => undefined, ac.signal));
    await waitFor(() => server.requests.length === 1 && server.requests[0].status === 429);
    const abortedAt = Date.now();
    ac.abort();
    expect((await call).code).toBe('model_aborted');
    expect(Date.now() - abortedAt).toBeLessThan(1000);
  });

  it('reports a server that is not there as model_unreachable', async () => {
    const url = server.url;
    await server.close();
    const e = await failure(make(url).generate(REQ, () => undefined, new AbortController().signal));
    expect(e.code).toBe('model_unreachable');
    server = await startFakeModelServer();
  });
});

describe('wire requests', () => {
  let server: FakeModelServer;
  beforeEach(async () => {
    server = await startFakeModelServer({ tokensPerSecond: 5000 });
  });
  afterEach(async () => {
    await server.close();
  });

  it('Ollama: POST /api/chat, stream: true, format, system and user messages', async () => {
    await new OllamaProvider({ baseUrl: `${server.url}/`, model: 'qwen2.5', temperature: 0.1 }).generate(REQ, () => undefined, new AbortController().signal);
    expect(server.requests[0]).toMatchObject({ method: 'POST', path: '/api/chat' });
    expect(server.requests[0].body).toEqual({
      model: 'qwen2.5',
      stream: true,
      format: REQ.format,
      options: { temperature: 0.1 },
      messages: [
        { role: 'system', content: REQ.system },
        { role: 'user', content: REQ.prompt },
      ],
    });
  });

  it('OpenAI: bearer key, include_usage, json_schema response_format', async () => {
    await new OpenAiProvider({ baseUrl: `${server.url}/v1`, model: 'gpt-4o-mini', apiKey: 'sk-1' }).generate(REQ, () => undefined, new AbortController().signal);
    const rec = server.requests[0];
    expect(rec).toMatchObject({ method: 'POST', path: '/v1/chat/completions' });
    expect(rec.headers.authorization).toBe('Bearer sk-1');
    expect(rec.body).toMatchObject({
      model: 'gpt-4o-mini',
      stream: true,
      stream_options: { include_usage: true },
      response_format: { type: 'json_schema', json_schema: { name: 'test_cases', schema: REQ.format } },
    });
  });

  it('Ollama: a mid-stream {"error"} line is model_stream_broken; a stream without done is too', async () => {
    // The fake writes what it is told; an error line is what Ollama sends when the runner dies mid-answer.
    const { createServer } = await import('node:http');
    const lines = ['{"model":"m","message":{"role":"assistant","content":"{"},"done":false}\n{"error":"runner died"}\n', '{"model":"m","message":{"role":"assistant","content":"{"},"done":false}\n'];
    for (const [i, body] of lines.entries()) {
      const raw = createServer((_req, res) => {
        res.writeHead(200, { 'content-type': 'application/x-ndjson' });
        res.end(body);
      });
      await new Promise<void>((r) => raw.listen(0, '127.0.0.1', r));
      const port = (raw.address() as { port: number }).port;
      const e = await failure(new OllamaProvider({ baseUrl: `http://127.0.0.1:${port}`, model: 'm' }).generate(REQ, () => undefined, new AbortController().signal));
      expect(e.code).toBe('model_stream_broken');
      expect(e.message).toMatch(i === 0 ? /runner died/ : /before its final chunk/);
      raw.closeAllConnections();
      await new Promise((r) => raw.close(r));
    }
  });
});
