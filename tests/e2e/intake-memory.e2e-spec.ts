import { signTestToken } from '@spectest/auth';
import { RawAnswer, rawRequest } from '@spectest/testing';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse } from 'yaml';
import { gzipSync } from 'node:zlib';
import { RunningCluster, startCluster } from './full/cluster';

jest.setTimeout(240_000);

const MiB = 1024 * 1024;
const ROOT = join(__dirname, '..', '..');

/** The memory limit of the intake container (k8s/intake.yaml), in bytes. */
function intakeMemoryLimit(): number {
  const docs = readFileSync(join(ROOT, 'k8s', 'intake.yaml'), 'utf8').split(/^---$/m).map((d) => parse(d));
  const deployment = docs.find((d) => d?.kind === 'Deployment');
  const limit: string = deployment.spec.template.spec.containers[0].resources.limits.memory;
  const m = /^(\d+)Mi$/.exec(limit);
  if (!m) throw new Error(`unexpected memory limit ${limit}`);
  return Number(m[1]) * MiB;
}

/** A figure of /proc/<pid>/status, in bytes: VmRSS now, VmHWM the peak since the process started. */
const procStatus = (pid: number, field: 'VmRSS' | 'VmHWM'): number => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(readFileSync(`/proc/${pid}/status`, 'utf8'))![1]) * 1024;

const tally = (answers: RawAnswer[]) => {
  const counts: Record<string, number> = {};
  for (const a of answers) {
    const key = `${a.status ?? a.error} ${a.body ? JSON.parse(a.body).code : ''}`.trim();
    counts[key] = (counts[key] ?? 0) + 1;
  }
  return counts;
};

/**
 * The flood of the attack report, sent to the built intake as its own process (full mode, JWT), so its RSS is
 * the kernel's figure for exactly that process: compression bombs and 98 MiB bodies, anonymous, with a forged
 * token, and authenticated past the limits. Intake must answer each (401, 413, 429, 503) and stay under the
 * memory limit its container has in k8s.
 */
describe('intake memory under a flood of bodies', () => {
  let cluster: RunningCluster;
  let pid: number;
  beforeAll(async () => {
    cluster = await startCluster({}, { services: ['intake'] });
    pid = cluster.processes.intake[0].pid;
  });
  afterAll(async () => {
    await cluster?.stop();
  });

  it('answers every request and keeps its peak RSS under the k8s memory limit', async () => {
    const url = cluster.urls.intake;
    const limit = intakeMemoryLimit();
    const before = { rss: procStatus(pid, 'VmRSS'), peak: procStatus(pid, 'VmHWM') };
    // 97 KiB of gzip that inflates to 99 MiB; 98 MiB of plain JSON (one buffer, sent many times).
    const bomb = gzipSync(Buffer.concat([Buffer.from('{"spec":"'), Buffer.alloc(99 * MiB, 'a'), Buffer.from('"}')]), { level: 9 });
    const plain = Buffer.concat([Buffer.from('{"spec":"'), Buffer.alloc(98 * MiB - 11, 'a'), Buffer.from('"}')]);
    expect(bomb.length).toBeLessThan(100 * 1024);
    const json = { 'content-type': 'application/json' };
    const gz = { ...json, 'content-encoding': 'gzip' };
    const forged = `Bearer ${await signTestToken('not-the-secret-but-long-enough', { sub: 'mallory' })}`;
    const tokens = await Promise.all(Array.from({ length: 10 }, (_, i) => signTestToken(cluster.secret, { sub: `user-${i}`, tenant: `tenant-${i}` })));
    const send = (headers: Record<string, string>, body: Buffer) => rawRequest(url, { path: '/v1/tasks', headers, body });

    const [anonymousBombs, anonymousPlain, forgedPlain, authenticatedBombs, authenticatedPlain] = await Promise.all([
      Promise.all(Array.from({ length: 6 }, () => send(gz, bomb))),
      Promise.all(Array.from({ length: 40 }, () => send(json, plain))),
      Promise.all(Array.from({ length: 40 }, () => send({ ...json, authorization: forged }, plain))),
      Promise.all(Array.from({ length: 6 }, () => send({ ...gz, authorization: `Bearer ${tokens[0]}` }, bomb))),
      Promise.all(Array.from({ length: 40 }, (_, i) => send({ ...json, authorization: `Bearer ${tokens[i % tokens.length]}` }, plain))),
    ]);
    const peak = procStatus(pid, 'VmHWM');
    const figures = { limitMiB: limit / MiB, rssBeforeMiB: Math.round(before.rss / MiB), peakBeforeMiB: Math.round(before.peak / MiB), peakMiB: Math.round(peak / MiB) };
    console.log(`intake under the flood: ${JSON.stringify(figures)}; answers ${JSON.stringify({ anonymousBombs: tally(anonymousBombs), anonymousPlain: tally(anonymousPlain), forgedPlain: tally(forgedPlain), authenticatedBombs: tally(authenticatedBombs), authenticatedPlain: tally(authenticatedPlain) })}`);

    expect(tally([...anonymousBombs, ...anonymousPlain, ...forgedPlain])).toEqual({ '401 unauthorized': 86 });
    // A 98 MiB spec is over MAX_SPEC_BYTES (413) once read, a bomb once it inflates too much; past MAX_UPLOADS_PER_CLIENT
    // (429) or the upload budget (503) the others are turned away before their bodies are read.
    const authenticated = tally([...authenticatedBombs, ...authenticatedPlain]);
    expect(Object.keys(authenticated).filter((k) => !['413 payload_too_large', '429 limit_exceeded', '503 unavailable'].includes(k))).toEqual([]);
    expect(authenticated['413 payload_too_large']).toBeGreaterThan(0);
    expect(peak).toBeLessThan(limit);

    // The bombs alone, the budget free again: each refused as it inflates, or over the client's uploads at once.
    const bombsAlone = tally(await Promise.all(Array.from({ length: 6 }, () => send({ ...gz, authorization: `Bearer ${tokens[2]}` }, bomb))));
    expect(Object.keys(bombsAlone).filter((k) => !['413 payload_too_large', '429 limit_exceeded'].includes(k))).toEqual([]);
    expect(bombsAlone['413 payload_too_large']).toBeGreaterThan(0);
    expect(procStatus(pid, 'VmHWM')).toBeLessThan(limit);

    // Still serving: readiness and a normal submission.
    expect((await fetch(`${url}/health/ready`)).status).toBe(200);
    const petstore = readFileSync(join(ROOT, 'tests', 'fixtures', 'petstore.yaml'), 'utf8');
    const ok = await rawRequest(url, { path: '/v1/tasks', headers: { ...json, authorization: `Bearer ${tokens[1]}` }, body: Buffer.from(JSON.stringify({ spec: petstore })) });
    expect(ok.status).toBe(202);
  });
});
