import { createServer } from 'node:net';
import { connect } from 'nats';
import { Client } from 'pg';
import {
  assertTestDatabaseName,
  createTestDatabase,
  deleteNatsTestStreams,
  dropTestDatabase,
  freePort,
  testDatabaseAdminUrl,
  testNatsConfig,
  type TestDatabase,
} from './index';

async function streamExists(url: string, name: string): Promise<boolean> {
  const nc = await connect({ servers: url });
  try {
    const jsm = await nc.jetstreamManager();
    for await (const existing of jsm.streams.names()) if (existing === name) return true;
    return false;
  } finally {
    await nc.close();
  }
}

async function databaseExists(name: string): Promise<boolean> {
  const admin = new Client({ connectionString: testDatabaseAdminUrl() });
  await admin.connect();
  try {
    const result = await admin.query('SELECT 1 FROM pg_database WHERE datname = $1', [name]);
    return result.rowCount === 1;
  } finally {
    await admin.end();
  }
}

describe('NATS test harness', () => {
  it('gives each call its own test prefix on the machine NATS', () => {
    const a = testNatsConfig();
    const b = testNatsConfig();
    expect(a.prefix).not.toBe(b.prefix);
    expect(a.prefix).toMatch(/^test_[0-9a-f]{12}$/);
    expect(a.url).toBe(process.env.TEST_NATS_URL ?? 'nats://127.0.0.1:4222');
  });

  it('deletes the streams under a test prefix and leaves the others', async () => {
    const mine = testNatsConfig();
    const other = testNatsConfig();
    const nc = await connect({ servers: mine.url });
    const jsm = await nc.jetstreamManager();
    await jsm.streams.add({ name: `${mine.prefix}_WORK`, subjects: [`${mine.prefix}.work.>`] });
    await jsm.streams.add({ name: `${other.prefix}_WORK`, subjects: [`${other.prefix}.work.>`] });
    await nc.close();
    await deleteNatsTestStreams(mine.url, mine.prefix);
    expect(await streamExists(mine.url, `${mine.prefix}_WORK`)).toBe(false);
    expect(await streamExists(mine.url, `${other.prefix}_WORK`)).toBe(true);
    await deleteNatsTestStreams(other.url, other.prefix);
    expect(await streamExists(other.url, `${other.prefix}_WORK`)).toBe(false);
  });

  it('refuses to delete streams of a prefix that does not say test', async () => {
    await expect(deleteNatsTestStreams(testNatsConfig().url, 'spectest')).rejects.toThrow(/refusing/);
  });
});

describe('Postgres test harness', () => {
  let db: TestDatabase | undefined;

  afterEach(async () => {
    await db?.drop();
    db = undefined;
  });

  it('creates a fresh database one can connect to, and drops it even with a session open', async () => {
    db = await createTestDatabase();
    const name = new URL(db.url).pathname.slice(1);
    expect(name).toMatch(/^spectest_test_[0-9a-f]{12}$/);
    const client = new Client({ connectionString: db.url });
    await client.connect();
    client.on('error', () => undefined); // the FORCE drop ends this session
    await client.query('CREATE TABLE t (id int)');
    await db.drop();
    expect(await databaseExists(name)).toBe(false);
    await client.end().catch(() => undefined);
  });

  it('refuses to touch a database whose name does not have test as a word', async () => {
    expect(() => assertTestDatabaseName('postgres')).toThrow(/refusing/);
    expect(() => assertTestDatabaseName('spectest')).toThrow(/refusing/);
    expect(() => assertTestDatabaseName('test"; DROP DATABASE x; --')).toThrow(/refusing/);
    await expect(dropTestDatabase('spectest')).rejects.toThrow(/refusing/);
    expect(() => assertTestDatabaseName('spectest_test_ab12')).not.toThrow();
  });
});

describe('freePort', () => {
  it('returns a port a server can listen on', async () => {
    const port = await freePort();
    expect(port).toBeGreaterThan(0);
    const server = createServer();
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
    await new Promise((resolve) => server.close(resolve));
  });
});
