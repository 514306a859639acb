// TEST-ONLY helper for services/intake/src/*.spec.ts: it composes the whole pipeline (like apps/embedded) and is never imported by the service.
import { AiEnhancerConfigSchema, AiEnhancerModule } from '@spectest/ai-enhancer';
import { AuthModule, authConfigFromEnv, signTestToken } from '@spectest/auth';
import { TaskSnapshot, isTerminalStatus } from '@spectest/contracts';
import { InProcessMessaging, Messaging, NatsMessaging } from '@spectest/messaging';
import { PackagerConfigSchema, PackagerModule } from '@spectest/packager';
import { parseConfig } from '@spectest/platform';
import { RunningService, startApplication } from '@spectest/runtime';
import { SpecParserConfigSchema, SpecParserModule } from '@spectest/spec-parser';
import { createTestDatabase, deleteNatsTestStreams, testNatsConfig } from '@spectest/testing';
import { createParser } from 'eventsource-parser';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataSource } from 'typeorm';
import { IntakeConfigSchema } from '../intake.config';
import { configureIntakeHttp } from '../intake.http';
import { IntakeModule } from '../intake.module';

export const TEST_JWT_SECRET = 'intake-test-secret-0123456789';

export interface IntakeTestAppOptions {
  /** Extra intake env (limits, reaper interval). */
  env?: Record<string, string>;
  /** Run the parse/enhance/package workers in the same process (default true). */
  worker?: boolean;
  /** The machine's NATS under a random prefix, or in-process messaging (default). */
  broker?: 'nats' | 'in-process';
  /** Wraps the messaging (to make it fail on purpose). */
  wrapMessaging?: (messaging: Messaging) => Messaging;
}

export interface IntakeTestApp {
  url: string;
  running: RunningService;
  messaging: Messaging;
  dataSource: DataSource;
  token(tenant: string): Promise<string>;
  /** fetch against the app as `tenant` (a bearer token is added unless `auth: false`). */
  call(path: string, init?: RequestInit & { tenant?: string; auth?: boolean }): Promise<Response>;
  /** POST /v1/tasks with a JSON body. */
  submit(body: unknown, tenant?: string, headers?: Record<string, string>): Promise<Response>;
  /** Polls GET /v1/tasks/{id} until the task has ended (or `until` holds). */
  waitFor(taskId: string, tenant: string, until?: (s: TaskSnapshot) => boolean, timeoutMs?: number): Promise<TaskSnapshot>;
  stop(): Promise<void>;
}

export const fixture = (name: string): string => readFileSync(join(__dirname, '..', '..', '..', '..', 'tests', 'fixtures', name), 'utf8');

export async function startIntakeTestApp(options: IntakeTestAppOptions = {}): Promise<IntakeTestApp> {
  const db = await createTestDatabase();
  const nats = options.broker === 'nats' ? testNatsConfig() : null;
  const env: Record<string, string> = {
    DATABASE_URL: db.url,
    PORT: '0',
    LOG_LEVEL: 'silent',
    AUTH_MODE: 'jwt',
    AUTH_JWT_SECRET: TEST_JWT_SECRET,
    SERVE_WEB: 'false',
    DB_POOL_SIZE: '5',
    ...(nats ? { NATS_URL: nats.url, NATS_PREFIX: nats.prefix } : {}),
    ...options.env,
  };
  const intake = parseConfig(IntakeConfigSchema, env);
  const inner: Messaging = nats ? await NatsMessaging.connect({ url: nats.url, prefix: nats.prefix, name: 'intake-test' }) : new InProcessMessaging();
  const messaging = options.wrapMessaging?.(inner) ?? inner;
  const worker = options.worker ?? true;
  let running: RunningService;
  try {
    running = await startApplication(
      {
        service: 'intake-test',
        config: intake,
        worker,
        modules: [
          AuthModule.forRoot(authConfigFromEnv(intake)),
          IntakeModule.forRoot(intake),
          ...(worker
            ? [
                SpecParserModule.forRoot(parseConfig(SpecParserConfigSchema, env)),
                AiEnhancerModule.forRoot(parseConfig(AiEnhancerConfigSchema, env)),
                PackagerModule.forRoot(parseConfig(PackagerConfigSchema, env)),
              ]
            : []),
        ],
        configure: (app) => configureIntakeHttp(app, intake),
      },
      messaging,
    );
  } catch (err) {
    await messaging.close();
    await db.drop();
    throw err;
  }
  const url = running.url;
  const tokens = new Map<string, string>();
  const token = async (tenant: string) => {
    let t = tokens.get(tenant);
    if (!t) tokens.set(tenant, (t = await signTestToken(TEST_JWT_SECRET, { sub: `user-of-${tenant}`, tenant }, '1h')));
    return t;
  };
  const call: IntakeTestApp['call'] = async (path, init = {}) => {
    const { tenant = 'acme', auth = true, ...rest } = init;
    const headers = new Headers(rest.headers);
    if (auth && !headers.has('authorization')) headers.set('authorization', `Bearer ${await token(tenant)}`);
    return fetch(`${url}${path}`, { ...rest, headers });
  };
  const submit: IntakeTestApp['submit'] = (body, tenant = 'acme', headers = {}) =>
    call('/v1/tasks', { method: 'POST', tenant, headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body) });
  const waitFor: IntakeTestApp['waitFor'] = async (taskId, tenant, until = (s) => isTerminalStatus(s.status), timeoutMs = 15_000) => {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const res = await call(`/v1/tasks/${taskId}`, { tenant });
      const snapshot = (await res.json()) as TaskSnapshot;
      if (res.status === 200 && until(snapshot)) return snapshot;
      if (Date.now() > deadline) throw new Error(`task ${taskId} did not reach the expected state; last: ${JSON.stringify(snapshot).slice(0, 500)}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  const stop = async () => {
    await running.stop();
    if (nats) await deleteNatsTestStreams(nats.url, nats.prefix);
    await db.drop();
  };
  return { url, running, messaging, dataSource: running.app.get(DataSource), token, call, submit, waitFor, stop };
}

export interface SseMessage {
  id: string | undefined;
  event: string | undefined;
  data: string;
}

/** Reads an SSE response to its end (the server closes after the terminal event) and returns each message and the raw text. */
export async function readSse(res: Response, timeoutMs = 10_000): Promise<{ messages: SseMessage[]; raw: string }> {
  const messages: SseMessage[] = [];
  let raw = '';
  const parser = createParser({ onEvent: (e) => messages.push({ id: e.id, event: e.event, data: e.data }) });
  if (!res.body) return { messages, raw };
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    void reader.cancel();
  }, timeoutMs);
  try {
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const text = decoder.decode(value, { stream: true });
      raw += text;
      parser.feed(text);
    }
  } finally {
    clearTimeout(timer);
  }
  if (timedOut) throw new Error(`the SSE stream did not close within ${timeoutMs} ms; got: ${raw.slice(-500)}`);
  return { messages, raw };
}
