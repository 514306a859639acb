import type { ParsedSpec } from '@spectest/contracts';
import { TestDatabase, createTestDatabase } from '@spectest/testing';
import { DataSource } from 'typeorm';
import { createDataSource, runMigrations } from './data-source';
import { GenerationStore } from './generation.store';
import { insertTaskRow } from './testing/task-rows';

jest.setTimeout(20_000);

describe('GenerationStore documents against a real Postgres', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let gen: GenerationStore;

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = createDataSource({ url: db.url, poolSize: 2 });
    await ds.initialize();
    await runMigrations(ds);
    gen = new GenerationStore(ds);
  });
  afterAll(async () => {
    if (ds?.isInitialized) await ds.destroy();
    await db?.drop();
  });


  const doc = (): ParsedSpec => ({
    title: 'Pets',
    version: '1.2.3',
    openapiVersion: '3.0.3',
    document: { openapi: '3.0.3', paths: { '/pets': { get: { responses: { '200': { description: 'ok' } } } } } },
    endpoints: [{ id: 'GET /pets', method: 'get', path: '/pets' }] as unknown as ParsedSpec['endpoints'],
    warnings: ['w'],
  });

  it('loads the whole document for the stages that need it, and only title, version and document for packaging', async () => {
    const taskId = (await insertTaskRow(ds)).taskId;
    expect(await gen.loadPackagingDocument(taskId)).toBeNull();
    await gen.saveDocument(taskId, doc());
    expect(await gen.loadDocument(taskId)).toStrictEqual(doc());

    // The packaging read asks the database for the columns it uses and no other: not the endpoints.
    const logQuery = jest.spyOn(ds.logger, 'logQuery');
    try {
      const { title, version, document } = doc();
      expect(await gen.loadPackagingDocument(taskId)).toStrictEqual({ title, version, document });
      const selects = logQuery.mock.calls.map(([sql]) => sql).filter((sql) => /task_documents/.test(sql));
      expect(selects).toHaveLength(1);
      expect(selects[0]).toMatch(/"document"/);
      expect(selects[0]).not.toMatch(/endpoints|warnings|openapi_version/);
    } finally {
      logQuery.mockRestore();
    }
  });
});
