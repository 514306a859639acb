import { rawRequest } from '@spectest/testing';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { ROOT, RunningEmbedded, freshDataDir, killStrays, removeDataDir, startEmbedded, tail, waitNoPostgres } from './support/embedded-process';

// The e2e project's testTimeout is not applied per project by jest 30; set it here.
jest.setTimeout(240_000);

const MiB = 1024 * 1024;
/** The default of MAX_SPEC_BYTES and SPEC_MAX_BYTES (README, Configuration). */
const DEFAULT_SIZE_LIMIT = 50 * MiB;

/** A document nested `levels` deep below an otherwise valid header (the limit, SPEC_MAX_DEPTH, is 200). */
function deeplyNested(levels: number): string {
  return '{"openapi":"3.0.3","info":{"title":"deep","version":"1"},"paths":{},"x-deep":' + '{"a":'.repeat(levels) + '1' + '}'.repeat(levels) + '}';
}

/** The same in YAML: flow sequences inside block sequences, nested `levels` deep in all (yaml's composer recurses per level). */
function deeplyNestedYaml(levels: number): string {
  const half = Math.floor(levels / 2);
  return 'openapi: 3.0.3\ninfo:\n  title: deep\n  version: "1"\npaths: {}\nx-deep:\n' + '- '.repeat(half) + '['.repeat(levels - half) + ']'.repeat(levels - half) + '\n';
}

/** A valid-looking JSON document of about `bytes`, made of operations with long descriptions (more than SPEC_MAX_OPERATIONS). */
function hugeSpec(bytes: number): string {
  const head = '{"openapi":"3.0.3","info":{"title":"huge","version":"1"},"paths":{';
  // About 1.6 KB per operation: some 32,000 operations fit, over SPEC_MAX_OPERATIONS (30,000).
  const pad = 'x'.repeat(1_500);
  const parts: string[] = [];
  let size = head.length + 2;
  for (let i = 0; ; i++) {
    const part = `"/p${i}":{"get":{"description":"${pad}","responses":{"200":{"description":"ok"}}}}`;
    if (size + part.length + 1 > bytes) break;
    parts.push(part);
    size += part.length + 1;
  }
  return head + parts.join(',') + '}}';
}

interface Poll {
  status: number | string;
  ms: number;
}

/**
 * Hostile specs sent to the running app (the embedded process: every service in one event loop, so a
 * parse that blocked it or a crash would show at once) while /health/ready is polled without a break
 * and a normal petstore task runs beside them.
 */
describe('hostile input keeps the service healthy', () => {
  let dataDir: string;
  let app: RunningEmbedded | undefined;

  beforeAll(() => {
    dataDir = freshDataDir();
  });

  afterAll(async () => {
    if (app) await app.stop('SIGTERM');
    killStrays(app, dataDir);
    await waitNoPostgres(dataDir, 5_000);
    removeDataDir(dataDir);
  });

  it('answers every readiness poll with 200 and completes a petstore task while each hostile task fails with its code', async () => {
    // A short rate window, so that the dribbled body below is cut within a second or two.
    app = await startEmbedded({ dataDir, env: { BODY_RATE_WINDOW_MS: '1000' } });
    const url = app.url;

    const polls: Poll[] = [];
    let polling = true;
    const poller = (async () => {
      while (polling) {
        const t0 = Date.now();
        const status = await fetch(`${url}/health/ready`).then(
          (res) => res.status,
          (error: Error) => `${error.name}: ${(error.cause as Error | undefined)?.message ?? error.message}`,
        );
        polls.push({ status, ms: Date.now() - t0 });
        await new Promise((r) => setTimeout(r, 50));
      }
    })();

    const submit = async (name: string, spec: Buffer<ArrayBuffer> | string) => {
      const form = new FormData();
      form.append('spec', new Blob([spec]), /yaml/.test(name) ? `${name}.yaml` : `${name}.json`);
      const res = await fetch(`${url}/v1/tasks`, { method: 'POST', body: form, headers: { Prefer: 'wait=180' } });
      return { name, status: res.status, body: await res.json() };
    };

    const hostile: [string, Buffer<ArrayBuffer> | string, number, string][] = [
      // [name, spec, HTTP status, code: the task's error code, or the refusal's]
      ['yaml-alias-bomb', readFileSync(join(ROOT, 'tests/fixtures/hostile/yaml-alias-bomb.yaml')), 200, 'spec_too_large'],
      ['deep-nesting', deeplyNested(100_000), 200, 'spec_too_deep'],
      ['deep-nesting-yaml', deeplyNestedYaml(20_000), 200, 'spec_too_deep'],
      ['huge-near-limit', hugeSpec(DEFAULT_SIZE_LIMIT - MiB), 200, 'too_many_operations'],
      ['over-limit', Buffer.alloc(DEFAULT_SIZE_LIMIT + 1, ' '), 413, 'payload_too_large'],
    ];
    // Refused at the door, each with its code: none of these becomes a task.
    const petstoreYaml = readFileSync(join(ROOT, 'tests/fixtures/petstore.yaml'), 'utf8');
    const json = { 'content-type': 'application/json' };
    const post = (headers: Record<string, string>, body: Buffer | string) => rawRequest(url, { path: '/v1/tasks', headers: { ...json, ...headers }, body: Buffer.from(body) });
    const port = new URL(url).port;
    const refusals: [string, () => Promise<{ status: number | null; body: string }>, number, string][] = [
      ['nul-in-spec-object', () => post({}, JSON.stringify({ spec: { openapi: '3.0.3', info: { title: 'a\u0000b', version: '1' }, paths: {} } })), 400, 'invalid_spec'],
      ['surrogate-in-yaml-text', () => post({}, JSON.stringify({ spec: petstoreYaml.replace('title: Swagger Petstore', 'title: "Swagger \\ud800"') })), 400, 'invalid_spec'],
      ['nul-in-name', () => post({}, JSON.stringify({ spec: petstoreYaml, name: 'x\u0000' })), 400, 'invalid_request'],
      ['spec-object-5000-deep', () => post({}, '{"spec":{"openapi":"3.0.3","x":' + '{"a":'.repeat(5_000) + '1' + '}'.repeat(5_000) + '}}'), 400, 'spec_too_deep'],
      ['gzip-bomb', () => post({ 'content-encoding': 'gzip' }, gzipSync(Buffer.concat([Buffer.from('{"spec":"'), Buffer.alloc(99 * MiB, 'a'), Buffer.from('"}')]), { level: 9 })), 413, 'payload_too_large'],
      ['cross-origin-post', () => post({ origin: 'https://evil.example' }, JSON.stringify({ spec: petstoreYaml })), 403, 'origin_not_allowed'],
      ['dns-rebinding', () => post({ host: `evil.example:${port}` }, JSON.stringify({ spec: petstoreYaml })), 403, 'host_not_allowed'],
      ['dribbled-body', () => rawRequest(url, { path: '/v1/tasks', headers: json, dribble: { bytes: 16, everyMs: 100, total: 64 * 1024 } }), 408, 'request_timeout'],
    ];

    const t0 = Date.now();
    const [[petstore, ...answers], refused] = await Promise.all([
      Promise.all([submit('petstore', readFileSync(join(ROOT, 'tests/fixtures/petstore.yaml'))), ...hostile.map(([name, spec]) => submit(name, spec))]),
      Promise.all(refusals.map(async ([name, send]) => {
        const answer = await send();
        return { name, status: answer.status, code: answer.body ? JSON.parse(answer.body).code : undefined };
      })),
    ]);
    const wallMs = Date.now() - t0;
    polling = false;
    await poller;

    const failedReadiness = polls.filter((p) => p.status !== 200);
    console.log(
      `hostile input: ${polls.length} readiness polls in ${wallMs} ms, slowest ${Math.max(...polls.map((p) => p.ms))} ms; ` +
        answers.map((a) => `${a.name} ${a.status} ${a.body.error?.code ?? a.body.code} (${(a.body.error?.message ?? a.body.detail ?? '').slice(0, 120)})`).join('; ') +
        '; refused: ' + refused.map((r) => `${r.name} ${r.status} ${r.code}`).join('; '),
    );
    expect({ failedReadiness, logs: failedReadiness.length ? tail(app.logs) : '' }).toEqual({ failedReadiness: [], logs: '' });
    expect(polls.length).toBeGreaterThan(hostile.length);

    expect({ status: petstore.status, task: petstore.body.status, error: petstore.body.error }).toEqual({ status: 200, task: 'completed', error: null });
    expect(petstore.body.result.caseCount).toBeGreaterThan(0);

    expect(answers.map((a) => ({ name: a.name, status: a.status, code: a.body.error?.code ?? a.body.code }))).toEqual(
      hostile.map(([name, , status, code]) => ({ name, status, code })),
    );
    expect(refused).toEqual(refusals.map(([name, , status, code]) => ({ name, status, code })));
    for (const answer of answers.filter((a) => a.status === 200)) {
      expect({ name: answer.name, task: answer.body.status, result: answer.body.result }).toEqual({ name: answer.name, task: 'failed', result: null });
      expect(answer.body.error.message).toEqual(expect.any(String));
    }

    // None of the refused requests left a task behind: the petstore and the hostile specs that became tasks only.
    const listed = await (await fetch(`${url}/v1/tasks?limit=100`)).json();
    expect(listed.items).toHaveLength(1 + hostile.filter(([, , status]) => status === 200).length);

    // Still healthy after it all, and still working: another petstore completes.
    expect((await fetch(`${url}/health/ready`)).status).toBe(200);
    const again = await submit('petstore-after', readFileSync(join(ROOT, 'tests/fixtures/petstore.yaml')));
    expect(again.body.status).toBe('completed');
  });
});
