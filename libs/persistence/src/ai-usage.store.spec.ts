import { TestDatabase, createTestDatabase } from '@spectest/testing';
import { DataSource } from 'typeorm';
import { AiUsageStore } from './ai-usage.store';
import { createDataSource, runMigrations } from './data-source';

jest.setTimeout(20_000);

describe('AiUsageStore against a real Postgres', () => {
  let db: TestDatabase;
  let ds: DataSource;
  let store: AiUsageStore;

  beforeAll(async () => {
    db = await createTestDatabase();
    ds = createDataSource({ url: db.url, poolSize: 4 });
    await ds.initialize();
    await runMigrations(ds);
    store = new AiUsageStore(ds);
  });
  afterAll(async () => {
    if (ds?.isInitialized) await ds.destroy();
    await db?.drop();
  });

  it('has no history for a model never run, then a moving average that leans on the newest run', async () => {
    expect(await store.modelHistory('ollama', 'llama3.2')).toBeNull();
    await store.recordModelRun('ollama', 'llama3.2', { calls: 4, msPerCall: 1000, completionPerCall: 200, etaMeanAbsErrorMs: null });
    expect(await store.modelHistory('ollama', 'llama3.2')).toEqual({ runs: 1, calls: 4, msPerCall: 1000, completionPerCall: 200, etaMeanAbsErrorMs: null });
    await store.recordModelRun('ollama', 'llama3.2', { calls: 2, msPerCall: 2000, completionPerCall: 100, etaMeanAbsErrorMs: 500 });
    const h = await store.modelHistory('ollama', 'llama3.2');
    expect(h).toMatchObject({ runs: 2, calls: 6, etaMeanAbsErrorMs: 500 });
    expect(h!.msPerCall).toBeCloseTo(1300);
    expect(h!.completionPerCall).toBeCloseTo(170);
    // Another model, another provider: separate rows.
    expect(await store.modelHistory('openai', 'llama3.2')).toBeNull();
  });

  it('ignores a run in which no call answered', async () => {
    await store.recordModelRun('ollama', 'silent', { calls: 0, msPerCall: 0, completionPerCall: 0, etaMeanAbsErrorMs: null });
    expect(await store.modelHistory('ollama', 'silent')).toBeNull();
  });

  it('adds tenant tokens atomically under concurrent writers, per tenant', async () => {
    expect(await store.tokensUsed('acme')).toBe(0);
    await Promise.all(Array.from({ length: 20 }, () => store.addTokens('acme', 15)));
    await store.addTokens('globex', 7);
    await store.addTokens('globex', 0);
    expect(await store.tokensUsed('acme')).toBe(300);
    expect(await store.tokensUsed('globex')).toBe(7);
  });
});
