import { SERVICE_NAMES, checkCompose, clone, composeDurationMs, loadCompose, readText, validateComposeSchema } from './deploy-checks';

const compose = loadCompose();

describe('docker-compose.yml', () => {
  it('is valid against the Compose Specification JSON Schema', () => {
    expect(validateComposeSchema(compose)).toEqual([]);
  });

  it('schema validation reports an invalid file', () => {
    const broken = clone(compose);
    broken.services.intake.healthcheck.retries = 'many';
    broken.services.gateway.depends_on.nats.condition = 'service_ready';
    broken.services.packager.stop_grace_perod = '35s';
    const problems = validateComposeSchema(broken).join('\n');
    expect(problems).toMatch(/intake\/healthcheck\/retries/);
    expect(problems).toMatch(/gateway\/depends_on\/nats\/condition/);
    expect(problems).toMatch(/stop_grace_perod/);
  });

  it('uses YAML merge keys that resolve to complete services', () => {
    // Without merge support `<<` would stay a literal key and the services would lack image/build.
    expect(readText('docker-compose.yml')).toMatch(/<<: \*app/);
    for (const name of SERVICE_NAMES) expect(compose.services[name].build.dockerfile).toBe('deploy/Dockerfile');
  });

  it('runs NATS with JetStream, Postgres 16, and the five services wired together', () => {
    expect(checkCompose(compose)).toEqual([]);
  });

  it('reports structural mistakes', () => {
    const cases: Array<[string, (c: any) => void, RegExp]> = [
      ['no JetStream', (c) => (c.services.nats.command = ['nats-server']), /JetStream/],
      ['dependency on a missing service', (c) => (c.services.packager.depends_on.redis = { condition: 'service_started' }), /packager: depends_on redis, which is not a service/],
      ['healthy condition on a service without healthcheck', (c) => delete c.services.postgres.healthcheck, /waits for postgres to be healthy, but postgres has no healthcheck/],
      ['missing Dockerfile', (c) => (c.services.gateway.build = { context: '.', dockerfile: 'deploy/Nope.Dockerfile' }), /Nope\.Dockerfile does not exist/],
      ['wrong command', (c) => (c.services['spec-parser'].command = ['node', 'services/packager/dist/main.js']), /does not start spec-parser/],
      ['npm script that does not exist', (c) => (c.services.migrate.command = ['npm', 'run', 'migrate:all']), /npm script migrate:all/],
      ['missing env', (c) => delete c.services['ai-enhancer'].environment.OLLAMA_URL, /ai-enhancer: env OLLAMA_URL missing/],
      ['wrong PORT', (c) => (c.services.packager.environment.PORT = '3000'), /packager: PORT 3000, expected 3004/],
      ['literal secret', (c) => (c.services.intake.environment.AUTH_JWT_SECRET = 'supersecret'), /AUTH_JWT_SECRET must be/],
      ['healthcheck on liveness only', (c) => (c.services.gateway.healthcheck.test = ['CMD', 'node', 'deploy/healthcheck.cjs', '/health/live']), /gateway: healthcheck does not hit \/health\/ready/],
      ['short stop grace period', (c) => (c.services.intake.stop_grace_period = '10s'), /intake: stop_grace_period 10s/],
      ['intake not published', (c) => (c.services.intake.ports = []), /intake is not published on 3000/],
      ['undeclared volume', (c) => delete c.volumes['pg-data'], /volume pg-data is not declared/],
      ['second image', (c) => (c.services.packager.image = 'other:1'), /share one image/],
    ];
    for (const [label, breakIt, expected] of cases) {
      const broken = clone(compose);
      breakIt(broken);
      const problems = checkCompose(broken);
      if (!problems.some((p) => expected.test(p))) throw new Error(`${label}: expected a problem matching ${expected}, got ${JSON.stringify(problems)}`);
    }
  });

  it('requires AUTH_JWT_SECRET from the environment instead of shipping one', () => {
    for (const name of ['intake', 'gateway']) {
      expect(compose.services[name].environment.AUTH_JWT_SECRET).toMatch(/^\$\{AUTH_JWT_SECRET:\?/);
    }
  });

  it('parses Compose durations', () => {
    expect(composeDurationMs('35s')).toBe(35000);
    expect(composeDurationMs('1m30s')).toBe(90000);
    expect(composeDurationMs('500ms')).toBe(500);
  });
});
