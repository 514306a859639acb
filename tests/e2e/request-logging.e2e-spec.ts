import { signTestToken } from '@spectest/auth';
import { RunningCluster, startCluster } from './full/cluster';

jest.setTimeout(120_000);

const UNKNOWN_TASK = '00000000-0000-4000-8000-000000000000';

/** The request lines intake wrote to stdout (pino-http's "request completed" / "request errored"), parsed. */
function requestLines(logs: string[]): { req?: { url?: string; headers?: Record<string, unknown>; query?: Record<string, unknown> } }[] {
  return logs
    .join('')
    .split('\n')
    .filter((line) => line.startsWith('{') && line.includes('"req":'))
    .map((line) => JSON.parse(line));
}

/**
 * The actual log output of the intake process (built dist, LOG_LEVEL=info) for requests that carry tokens
 * in the query and in the Authorization header: no token appears anywhere in it.
 */
describe('request logs', () => {
  let cluster: RunningCluster;
  beforeAll(async () => {
    cluster = await startCluster({ LOG_LEVEL: 'info' }, { services: ['intake'] });
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('redact ?access_token= and other token-like parameters in req.url and req.query, and the Authorization header', async () => {
    const base = cluster.urls.intake;
    const sseToken = await signTestToken(cluster.secret, { sub: 'sse-user' });
    const headerToken = await signTestToken(cluster.secret, { sub: 'header-user' });
    const apiKey = 'k-0123456789-not-a-jwt';
    const answers = [
      await fetch(`${base}/v1/tasks/${UNKNOWN_TASK}/events?after=0&access_token=${sseToken}`),
      await fetch(`${base}/v1/tasks/${UNKNOWN_TASK}/events?access_token=${sseToken}&access_token=${sseToken}`),
      await fetch(`${base}/v1/tasks?limit=5&api_key=${apiKey}&id_token=${sseToken}`, { headers: { authorization: `Bearer ${headerToken}` } }),
      await fetch(`${base}/v1/tasks/${sseToken}`, { headers: { authorization: `Bearer ${headerToken}` } }),
    ].map((res) => res.status);
    expect(answers).toEqual([404, 401, 200, 404]);

    const deadline = Date.now() + 10_000;
    while (requestLines(cluster.logs.intake).length < answers.length && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    const lines = requestLines(cluster.logs.intake);
    expect(lines).toHaveLength(answers.length);

    const output = cluster.logs.intake.join('');
    for (const secret of [sseToken, headerToken, apiKey]) expect(output).not.toContain(secret);
    expect(lines.map((l) => l.req?.url)).toEqual([
      `/v1/tasks/${UNKNOWN_TASK}/events?after=0&access_token=[Redacted]`,
      `/v1/tasks/${UNKNOWN_TASK}/events?access_token=[Redacted]&access_token=[Redacted]`,
      `/v1/tasks?limit=5&api_key=[Redacted]&id_token=[Redacted]`,
      `/v1/tasks/[Redacted]`,
    ]);
    expect(lines[0].req?.query).toEqual({ after: '0', access_token: '[Redacted]' });
    expect(lines[2].req?.headers?.authorization).toBe('[Redacted]');
  });
});
