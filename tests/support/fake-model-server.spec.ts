import { request } from 'node:http';
import { FakeModelServer, startFakeModelServer } from './fake-model-server';

interface RawReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  /** The body as the socket delivered it, one entry per 'data' event. */
  body: string;
  error?: Error;
}

/** node:http, not fetch: the point is to see the bytes and headers the server writes. */
function raw(url: string, method: string, path: string, body?: unknown): Promise<RawReply> {
  return new Promise((resolve) => {
    const req = request(`${url}${path}`, { method, headers: { 'content-type': 'application/json', connection: 'close' } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text }));
      res.on('error', (error) => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: text, error }));
    });
    req.on('error', (error) => resolve({ status: 0, headers: {}, body: '', error }));
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

const chat = (extra: Record<string, unknown> = {}) => ({
  model: 'llama3.2',
  stream: true,
  messages: [
    { role: 'system', content: 'You write tests.' },
    { role: 'user', content: 'Operation: GET /pets/{petId}\nRequest body: none\nDocumented responses: 200, 404' },
  ],
  ...extra,
});

describe('fake model server', () => {
  let server: FakeModelServer;
  beforeEach(async () => {
    server = await startFakeModelServer({ tokensPerSecond: 5000 });
  });
  afterEach(async () => {
    await server.close();
  });

  it('streams Ollama /api/chat as chunked NDJSON, one token a line, with the real final fields', async () => {
    const r = await raw(server.url, 'POST', '/api/chat', chat());
    expect(r.status).toBe(200);
    expect(r.headers['content-type']).toBe('application/x-ndjson');
    expect(r.headers['transfer-encoding']).toBe('chunked');
    expect(r.body.endsWith('\n')).toBe(true);
    const lines = r.body.trimEnd().split('\n').map((l) => JSON.parse(l));
    const final = lines.at(-1);
    const tokens = lines.slice(0, -1);
    expect(tokens.every((l) => l.done === false && l.message.role === 'assistant' && typeof l.created_at === 'string')).toBe(true);
    expect(final).toMatchObject({ done: true, done_reason: 'stop', model: 'llama3.2', message: { role: 'assistant', content: '' } });
    for (const k of ['total_duration', 'load_duration', 'prompt_eval_count', 'prompt_eval_duration', 'eval_count', 'eval_duration']) {
      expect(Number.isInteger(final[k])).toBe(true);
    }
    expect(final.eval_count).toBe(tokens.length);
    const text = tokens.map((l) => l.message.content).join('');
    const answer = JSON.parse(text);
    // Derived from the prompt: cases for GET /pets/{petId}, with the path parameter filled in.
    expect(answer.cases.length).toBeGreaterThan(0);
    for (const c of answer.cases) expect(c.request).toMatchObject({ method: 'GET', path: '/pets/{petId}', pathParams: { petId: expect.anything() } });
    expect(server.requests[0]).toMatchObject({ operation: 'GET /pets/{petId}', status: 200, reply: { completionTokens: tokens.length, promptTokens: final.prompt_eval_count } });
  });

  it('answers Ollama stream: false with one JSON object', async () => {
    const r = await raw(server.url, 'POST', '/api/chat', chat({ stream: false }));
    expect(r.headers['content-type']).toMatch(/^application\/json/);
    expect(JSON.parse(r.body)).toMatchObject({ done: true, eval_count: expect.any(Number), message: { content: expect.stringContaining('cases') } });
  });

  it('lists models on GET /api/tags and 404s an unknown route', async () => {
    const tags = await raw(server.url, 'GET', '/api/tags');
    expect(JSON.parse(tags.body).models[0]).toMatchObject({ name: 'llama3.2:latest', details: { format: 'gguf' } });
    expect((await raw(server.url, 'GET', '/nope')).status).toBe(404);
  });

  it('streams OpenAI SSE with a usage chunk only when include_usage is asked, then [DONE]', async () => {
    const withUsage = await raw(server.url, 'POST', '/v1/chat/completions', chat({ stream_options: { include_usage: true } }));
    expect(withUsage.headers['content-type']).toBe('text/event-stream; charset=utf-8');
    const frames = withUsage.body.split('\n\n').filter(Boolean);
    expect(frames.every((f) => f.startsWith('data: '))).toBe(true);
    expect(frames.at(-1)).toBe('data: [DONE]');
    const chunks = frames.slice(0, -1).map((f) => JSON.parse(f.slice(6)));
    const usage = chunks.at(-1);
    expect(usage.choices).toEqual([]);
    expect(chunks.slice(0, -1).every((c) => c.usage === null && c.object === 'chat.completion.chunk')).toBe(true);
    expect(chunks.at(-2).choices[0]).toMatchObject({ finish_reason: 'stop', delta: {} });
    const contentChunks = chunks.filter((c) => c.choices[0]?.delta?.content);
    expect(usage.usage).toEqual({ prompt_tokens: expect.any(Number), completion_tokens: contentChunks.length, total_tokens: usage.usage.prompt_tokens + contentChunks.length });

    const without = await raw(server.url, 'POST', '/v1/chat/completions', chat());
    const plain = without.body.split('\n\n').filter(Boolean).slice(0, -1).map((f) => JSON.parse(f.slice(6)));
    expect(plain.some((c) => 'usage' in c)).toBe(false);
  });

  it('answers 429 with Retry-After the given number of times, then streams', async () => {
    server.setBehaviour({ kind: 'rate_limit', times: 2, retryAfterSeconds: 3 });
    const first = await raw(server.url, 'POST', '/api/chat', chat());
    expect(first.status).toBe(429);
    expect(first.headers['retry-after']).toBe('3');
    expect(JSON.parse(first.body)).toEqual({ error: expect.any(String) });
    expect((await raw(server.url, 'POST', '/v1/chat/completions', chat())).status).toBe(429);
    expect((await raw(server.url, 'POST', '/api/chat', chat())).status).toBe(200);
  });

  it('answers 500 in each protocol\'s error shape', async () => {
    server.setBehaviour({ kind: 'server_error' });
    expect(JSON.parse((await raw(server.url, 'POST', '/api/chat', chat())).body)).toEqual({ error: expect.any(String) });
    const openai = await raw(server.url, 'POST', '/v1/chat/completions', chat());
    expect(openai.status).toBe(500);
    expect(JSON.parse(openai.body).error).toMatchObject({ message: expect.any(String), type: 'server_error' });
  });

  it('streams invalid JSON, cases for a missing operation, or a fixed text', async () => {
    const text = async () =>
      (await raw(server.url, 'POST', '/api/chat', chat())).body
        .trimEnd()
        .split('\n')
        .map((l) => JSON.parse(l).message.content)
        .join('');
    server.setBehaviour({ kind: 'invalid_json' });
    const broken = await text();
    expect(() => JSON.parse(broken)).toThrow();
    server.setBehaviour({ kind: 'unknown_operation' });
    expect(JSON.parse(await text()).cases[0].request.path).toBe('/does-not-exist/{ghostId}');
    server.setBehaviour({ kind: 'text', text: '```json\n{"cases": []}\n```' });
    expect(await text()).toBe('```json\n{"cases": []}\n```');
  });

  it('drops the connection mid-stream', async () => {
    server.setBehaviour({ kind: 'drop', afterTokens: 3 });
    const r = await raw(server.url, 'POST', '/api/chat', chat());
    expect(r.error).toBeDefined();
    expect(r.body.trimEnd().split('\n')).toHaveLength(3);
  });

  it('stalls mid-stream until closed; close() destroys the open socket', async () => {
    server.setBehaviour({ kind: 'stall', afterTokens: 2 });
    const pending = raw(server.url, 'POST', '/api/chat', chat());
    await waitFor(() => server.requests.length === 1 && server.requests[0].status === 200);
    await new Promise((r) => setTimeout(r, 100));
    expect(server.openSockets()).toBe(1);
    await server.close();
    const r = await pending;
    expect(r.error).toBeDefined();
    expect(r.body.trimEnd().split('\n')).toHaveLength(2);
    expect(server.openSockets()).toBe(0);
    server = await startFakeModelServer(); // for afterEach
  });

  it('paces tokens at the configured rate', async () => {
    server.setBehaviour({ kind: 'slow', tokensPerSecond: 300 });
    const started = Date.now();
    await raw(server.url, 'POST', '/api/chat', chat());
    const n = server.requests[0].reply?.completionTokens ?? 0;
    expect(Date.now() - started).toBeGreaterThanOrEqual(((n - 1) * 1000) / 300 - 50);
  });

  it('chooses a behaviour per request with a function', async () => {
    server.setBehaviour((_req, index) => (index === 0 ? { kind: 'server_error', status: 503 } : { kind: 'ok' }));
    expect((await raw(server.url, 'POST', '/api/chat', chat())).status).toBe(503);
    expect((await raw(server.url, 'POST', '/api/chat', chat())).status).toBe(200);
  });
});

async function waitFor(cond: () => boolean, ms = 2000): Promise<void> {
  const until = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > until) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 10));
  }
}
