import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { saysTest } from './test-name.guard';

export interface TestDatabase {
  /** Connection string of the fresh database. */
  url: string;
  /** Drops the database (FORCE: closes sessions a test left open). */
  drop(): Promise<void>;
}

export function testDatabaseAdminUrl(): string {
  return process.env.TEST_DATABASE_ADMIN_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';
}

/** The guard of convention 11: nothing here ever drops a database whose name does not say test. */
export function assertTestDatabaseName(name: string): void {
  if (!/^[a-z0-9_]+$/.test(name) || !saysTest(name)) {
    throw new Error(`refusing to touch database "${name}": its name must have "test" as a word (e.g. spectest_test_1a2b)`);
  }
}

/** Creates `spectest_test_<random>` on the admin server; each test file gets its own database. */
export async function createTestDatabase(): Promise<TestDatabase> {
  const adminUrl = testDatabaseAdminUrl();
  const name = `spectest_test_${randomBytes(6).toString('hex')}`;
  assertTestDatabaseName(name);
  await withAdmin(adminUrl, (admin) => admin.query(`CREATE DATABASE "${name}"`));
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  let dropped = false;
  return {
    url: url.toString(),
    drop: async () => {
      if (dropped) return;
      dropped = true;
      await dropTestDatabase(name, adminUrl);
    },
  };
}

export async function dropTestDatabase(name: string, adminUrl = testDatabaseAdminUrl()): Promise<void> {
  assertTestDatabaseName(name);
  await withAdmin(adminUrl, (admin) => admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`));
}

async function withAdmin<T>(adminUrl: string, work: (admin: Client) => Promise<T>): Promise<T> {
  const admin = new Client({ connectionString: adminUrl });
  await admin.connect();
  try {
    return await work(admin);
  } finally {
    await admin.end();
  }
}
