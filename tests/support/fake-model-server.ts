import { randomBytes } from 'node:crypto';
import { IncomingMessage, Server, ServerResponse, createServer } from 'node:http';
import { AddressInfo, Socket } from 'node:net';

/**
 * A stand-in for a model server, speaking Ollama's /api/chat (NDJSON) and OpenAI's /v1/chat/completions (SSE)
 * as the real ones write them: one token per chunk, the real final/usage fields, the real error bodies.
 * The default answer is a valid `{ cases: [...] }` for the operation named in the prompt ("Operation: GET /pets").
 */
export type Behaviour =
  /** Valid cases at `tokensPerSecond` (default: the server's rate). */
  | { kind: 'ok'; tokensPerSecond?: number }
  | { kind: 'slow'; tokensPerSecond: number }
  /** Prose and a broken object instead of JSON. */
  | { kind: 'invalid_json' }
  /** Well-formed cases, but for a method/path and parameters the operation does not have. */
  | { kind: 'unknown_operation' }
  /** Sends `afterTokens` tokens (default 5), then nothing, keeping the connection open. */
  | { kind: 'stall'; afterTokens?: number }
  /** Sends `afterTokens` tokens (default 5), then destroys the connection. */
  | { kind: 'drop'; afterTokens?: number }
  /** 429 with Retry-After for the first `times` requests (default 1) after it is set, then answers as `ok`. */
  | { kind: 'rate_limit'; times?: number; retryAfterSeconds?: number }
  | { kind: 'server_error'; status?: number; message?: string }
  /** Streams exactly this text. */
  | { kind: 'text'; text: string };

export type BehaviourChoice = Behaviour | ((req: RecordedRequest, index: number) => Behaviour);

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingMessage['headers'];
  body: any;
  /** "GET /pets" as found in the prompt, or null. */
  operation: string | null;
  status: number | null;
  /** What was (or was to be) streamed, and the counters the final chunk carries. */
  reply: { text: string; promptTokens: number; completionTokens: number } | null;
  /** The client went away before the answer was complete (abort, timeout). */
  closedByClient: boolean;
  /** The connection of this request is closed (by either side). */
  socketClosed: boolean;
  /** When the request arrived, and when its answer ended or was cut off (null while it streams). */
  startedAt: number;
  endedAt: number | null;
}

export interface FakeModelServer {
  url: string;
  requests: RecordedRequest[];
  setBehaviour(b: BehaviourChoice): void;
  /** Sockets currently open to the server. */
  openSockets(): number;
  close(): Promise<void>;
}

export interface FakeModelServerOptions {
  tokensPerSecond?: number;
  model?: string;
}

const OPERATION_RE = /Operation: (GET|PUT|POST|DELETE|OPTIONS|HEAD|PATCH|TRACE) (\/\S*)/;

export async function startFakeModelServer(opts: FakeModelServerOptions = {}): Promise<FakeModelServer> {
  const defaultRate = opts.tokensPerSecond ?? 1000;
  const model = opts.model ?? 'llama3.2';
  const sockets = new Set<Socket>();
  const timers = new Set<NodeJS.Timeout>();
  const requests: RecordedRequest[] = [];
  let choice: BehaviourChoice = { kind: 'ok' };
  let rateLimited = 0;

  const delay = (ms: number) =>
    new Promise<void>((resolve) => {
      const t = setTimeout(() => {
        timers.delete(t);
        resolve();
      }, ms);
      timers.add(t);
    });

  const server: Server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString('utf8');
      let body: any = raw;
      try {
        body = raw ? JSON.parse(raw) : null;
      } catch {
        // kept raw
      }
      const prompt = Array.isArray(body?.messages) ? body.messages.map((m: { content?: string }) => m.content ?? '').join('\n') : '';
      const op = OPERATION_RE.exec(prompt);
      const rec: RecordedRequest = {
        method: req.method ?? '',
        path: (req.url ?? '').split('?')[0],
        headers: req.headers,
        body,
        operation: op ? `${op[1]} ${op[2]}` : null,
        status: null,
        reply: null,
        closedByClient: false,
        socketClosed: false,
        startedAt: Date.now(),
        endedAt: null,
      };
      requests.push(rec);
      req.socket.once('close', () => (rec.socketClosed = true));
      res.once('close', () => {
        rec.endedAt = Date.now();
        if (!res.writableFinished) rec.closedByClient = true;
      });
      void route(rec, prompt, res).catch(() => res.destroy());
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });

  async function route(rec: RecordedRequest, prompt: string, res: ServerResponse): Promise<void> {
    const ollama = rec.method === 'POST' && rec.path === '/api/chat';
    const openai = rec.method === 'POST' && rec.path === '/v1/chat/completions';
    if (rec.method === 'GET' && rec.path === '/api/tags') return json(rec, res, 200, tags(model));
    if (rec.method === 'GET' && rec.path === '/') return text(rec, res, 200, 'Ollama is running');
    if (!ollama && !openai) return text(rec, res, 404, '404 page not found');
    if (!Array.isArray(rec.body?.messages)) return errorReply(rec, res, ollama, 400, 'invalid request: messages are required');

    let b = typeof choice === 'function' ? choice(rec, requests.length - 1) : choice;
    if (b.kind === 'rate_limit') {
      if (rateLimited < (b.times ?? 1)) {
        rateLimited++;
        res.setHeader('retry-after', String(b.retryAfterSeconds ?? 0));
        return errorReply(rec, res, ollama, 429, 'rate limit exceeded, retry later');
      }
      b = { kind: 'ok' };
    }
    if (b.kind === 'server_error') return errorReply(rec, res, ollama, b.status ?? 500, b.message ?? 'llama runner process has terminated: exit status 2');

    const answer = b.kind === 'text' ? b.text : b.kind === 'invalid_json' ? INVALID_JSON : answerFor(prompt, b.kind === 'unknown_operation');
    const pieces = answer.match(/[\s\S]{1,4}/g) ?? [];
    const promptTokens = Math.ceil(prompt.length / 4) + 8;
    rec.reply = { text: answer, promptTokens, completionTokens: pieces.length };
    const rate = b.kind === 'ok' || b.kind === 'slow' ? (b.tokensPerSecond ?? defaultRate) : defaultRate;
    const cutAt = b.kind === 'stall' || b.kind === 'drop' ? (b.afterTokens ?? 5) : Infinity;
    const wire = ollama ? ollamaWire(rec.body, model) : openAiWire(rec.body, model);

    if (ollama && rec.body.stream === false) return json(rec, res, 200, wire.whole(answer, promptTokens, pieces.length, 1e6));
    rec.status = 200;
    res.writeHead(200, { 'content-type': wire.contentType });
    const started = process.hrtime.bigint();
    for (const [i, piece] of pieces.entries()) {
      if (i === cutAt) {
        if (b.kind === 'drop') res.socket?.destroy();
        return; // stall: the connection stays open until the client gives up or close()
      }
      if (res.destroyed) return;
      res.write(wire.token(piece, i));
      await delay(1000 / rate);
    }
    if (res.destroyed) return;
    const evalNs = Number(process.hrtime.bigint() - started);
    res.end(wire.end(promptTokens, pieces.length, evalNs));
  }

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    setBehaviour(b) {
      choice = b;
      rateLimited = 0;
    },
    openSockets: () => sockets.size,
    async close() {
      for (const t of timers) clearTimeout(t);
      timers.clear();
      const closing = [...sockets].map((s) => new Promise<void>((resolve) => (s.destroyed && !sockets.has(s) ? resolve() : s.once('close', () => resolve()))));
      for (const s of sockets) s.destroy();
      await Promise.all([...closing, new Promise<void>((resolve) => server.close(() => resolve()))]);
    },
  };
}

const INVALID_JSON = 'Sure! Here are some extra test cases for you:\n{cases: [ {title: "missing id", expect: 404 ';

function json(rec: RecordedRequest, res: ServerResponse, status: number, body: unknown): void {
  rec.status = status;
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8' });
  res.end(JSON.stringify(body));
}

function text(rec: RecordedRequest, res: ServerResponse, status: number, body: string): void {
  rec.status = status;
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8' });
  res.end(body);
}

/** Ollama's error body is `{"error": "..."}`; OpenAI's is `{"error": {message, type, param, code}}`. */
function errorReply(rec: RecordedRequest, res: ServerResponse, ollama: boolean, status: number, message: string): void {
  if (ollama) return json(rec, res, status, { error: message });
  const type = status === 429 ? 'requests' : status >= 500 ? 'server_error' : 'invalid_request_error';
  json(rec, res, status, { error: { message, type, param: null, code: status === 429 ? 'rate_limit_exceeded' : null } });
}

interface Wire {
  contentType: string;
  token(piece: string, index: number): string;
  end(promptTokens: number, completionTokens: number, evalNs: number): string;
  whole(text: string, promptTokens: number, completionTokens: number, evalNs: number): unknown;
}

function ollamaWire(_body: any, model: string): Wire {
  const chunk = (content: string) => ({ model, created_at: new Date().toISOString(), message: { role: 'assistant', content } });
  const counters = (promptTokens: number, completionTokens: number, evalNs: number) => ({
    done_reason: 'stop',
    done: true,
    total_duration: evalNs + 2_500_000,
    load_duration: 1_000_000,
    prompt_eval_count: promptTokens,
    prompt_eval_duration: 1_500_000,
    eval_count: completionTokens,
    eval_duration: evalNs,
  });
  return {
    contentType: 'application/x-ndjson',
    token: (piece) => `${JSON.stringify({ ...chunk(piece), done: false })}\n`,
    end: (p, c, ns) => `${JSON.stringify({ ...chunk(''), ...counters(p, c, ns) })}\n`,
    whole: (text, p, c, ns) => ({ ...chunk(text), ...counters(p, c, ns) }),
  };
}

function openAiWire(body: any, model: string): Wire {
  const id = `chatcmpl-${randomBytes(12).toString('hex')}`;
  const created = Math.floor(Date.now() / 1000);
  const withUsage = body?.stream_options?.include_usage === true;
  const frame = (choices: unknown[], usage?: unknown) =>
    `data: ${JSON.stringify({ id, object: 'chat.completion.chunk', created, model, system_fingerprint: 'fp_fake', choices, ...(withUsage ? { usage: usage ?? null } : {}) })}\n\n`;
  const choice = (delta: unknown, finish: string | null) => ({ index: 0, delta, logprobs: null, finish_reason: finish });
  return {
    contentType: 'text/event-stream; charset=utf-8',
    token: (piece, i) => (i === 0 ? frame([choice({ role: 'assistant', content: '', refusal: null }, null)]) : '') + frame([choice({ content: piece }, null)]),
    end: (p, c) =>
      frame([choice({}, 'stop')]) +
      (withUsage ? frame([], { prompt_tokens: p, completion_tokens: c, total_tokens: p + c }) : '') +
      'data: [DONE]\n\n',
    whole: () => ({}),
  };
}

function tags(model: string) {
  return {
    models: [
      {
        name: `${model}:latest`,
        model: `${model}:latest`,
        modified_at: '2025-01-01T00:00:00Z',
        size: 2019393189,
        digest: 'a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72',
        details: { parent_model: '', format: 'gguf', family: 'llama', families: ['llama'], parameter_size: '3.2B', quantization_level: 'Q4_K_M' },
      },
    ],
  };
}

/** Realistic cases for the operation the prompt names; `wrong` aims them at an operation that does not exist. */
function answerFor(prompt: string, wrong: boolean): string {
  const op = OPERATION_RE.exec(prompt);
  if (!op) return JSON.stringify({ cases: [] });
  const [method, path] = wrong ? ['DELETE', '/does-not-exist/{ghostId}'] : [op[1], op[2]];
  const names = [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);
  const params = (v: string) => Object.fromEntries(names.map((n) => [n, v]));
  const hasBody = !wrong && !/Request body: none/.test(prompt);
  const ok = /Documented responses: .*?\b(2\d\d)\b/.exec(prompt)?.[1];
  const cases: unknown[] = [
    {
      title: `${method} ${path} with valid input`,
      reason: 'checks the documented success answer',
      request: { method, path, pathParams: params('1'), query: wrong ? { notAParam: 'x' } : {}, headers: {}, ...(hasBody ? { body: {} } : {}) },
      expect: { status: Number(ok ?? 200) },
    },
  ];
  if (names.length) {
    cases.push({
      title: `${method} ${path} for an id that does not exist`,
      reason: 'an unknown id must be answered with 404, not 500',
      request: { method, path, pathParams: params('does-not-exist-0'), query: {}, headers: {} },
      expect: { status: 404 },
    });
  }
  if (hasBody) {
    cases.push({
      title: `${method} ${path} with a body of the wrong type`,
      reason: 'a non-object body must be rejected',
      request: { method, path, pathParams: params('1'), query: {}, headers: {}, body: 'not an object' },
      expect: { status: 400 },
    });
  }
  return JSON.stringify({ cases }, null, 1);
}
