import { TaskSnapshotSchema } from '@spectest/contracts';
import { readSpec, stopSpecValidator } from '@spectest/openapi';
import { IntakeTestApp, startIntakeTestApp } from './testing/intake-test-app';

/** Our own API description: served, valid OpenAPI, and complete enough to generate tests from (we eat our cooking). */
describe('API description at /docs', () => {
  let app: IntakeTestApp;

  beforeAll(async () => {
    app = await startIntakeTestApp();
  }, 60_000);

  afterAll(async () => {
    await app?.stop();
    await stopSpecValidator();
  });

  it('is served without a token and passes our own validator', async () => {
    const res = await app.call('/docs/openapi.json', { auth: false });
    expect(res.status).toBe(200);
    const doc = await res.json();
    const spec = await readSpec(JSON.stringify(doc));
    expect(spec.endpoints.map((e) => e.key).sort()).toEqual(
      expect.arrayContaining(['GET /v1/tasks', 'POST /v1/tasks', 'GET /v1/tasks/{id}', 'GET /v1/tasks/{id}/events', 'GET /v1/tasks/{id}/artifact', 'POST /v1/tasks/{id}/cancel']),
    );
    expect(doc.components.securitySchemes.bearer).toMatchObject({ type: 'http', scheme: 'bearer' });
    expect(Object.keys(doc.paths['/v1/tasks'].post.requestBody.content).sort()).toEqual(['application/json', 'multipart/form-data']);
    expect(doc.paths['/v1/tasks/{id}'].get.responses['404'].content['application/problem+json']).toBeDefined();
  }, 30_000);

  it('describes the snapshot with the schema that checks it on the wire', async () => {
    const doc = await (await app.call('/docs/openapi.json', { auth: false })).json();
    const described = Object.keys(doc.components.schemas.TaskSnapshot.properties).sort();
    expect(described).toEqual(Object.keys(TaskSnapshotSchema.shape).sort());
    expect((await app.call('/docs', { auth: false })).status).toBe(200);
  });
});
