import { connect } from 'nats';
import { Client } from 'pg';
import { createTestDatabase, freePort } from '@spectest/testing';
import { QueryFailedError } from 'typeorm';
import { isDependencyOutage } from './dependency-outage';
import { toProblem } from './problem.filter';

const rejection = async (p: Promise<unknown>): Promise<unknown> => p.then(() => new Error('resolved'), (e: unknown) => e);

/** Real errors of real clients: what an outage looks like, and what a bad request or bad data looks like. */
describe('isDependencyOutage', () => {
  it('says yes to a database or a broker that is not there', async () => {
    const port = await freePort();
    const pg = await rejection(new Client({ host: '127.0.0.1', port, user: 'postgres', connectionTimeoutMillis: 2000 }).connect());
    const nats = await rejection(connect({ servers: `127.0.0.1:${port}`, reconnect: false }));
    expect([isDependencyOutage(pg), isDependencyOutage(nats)]).toEqual([true, true]);
    expect(toProblem(pg)).toMatchObject({ status: 503, code: 'unavailable' });
  });

  it('says yes to a session the server ended, wrapped as TypeORM wraps it', async () => {
    const db = await createTestDatabase();
    const victim = new Client({ connectionString: db.url });
    const admin = new Client({ connectionString: db.url });
    await Promise.all([victim.connect(), admin.connect()]);
    victim.on('error', () => undefined);
    try {
      const [{ pid }] = (await victim.query('SELECT pg_backend_pid() AS pid')).rows;
      await admin.query('SELECT pg_terminate_backend($1)', [pid]);
      const ended = await rejection(victim.query('SELECT 1'));
      expect(isDependencyOutage(ended)).toBe(true);
      expect(isDependencyOutage(new QueryFailedError('SELECT 1', [], Object.assign(new Error('terminating connection due to administrator command'), { code: '57P01' })))).toBe(true);
    } finally {
      await victim.end().catch(() => undefined);
      await admin.end();
      await db.drop();
    }
  });

  it('says no to a bad query, a constraint, bad data or a bug', async () => {
    const db = await createTestDatabase();
    const client = new Client({ connectionString: db.url });
    await client.connect();
    try {
      await client.query('CREATE TABLE t (id int PRIMARY KEY)');
      await client.query('INSERT INTO t VALUES (1)');
      const syntax = await rejection(client.query('SELEC 1'));
      const unique = await rejection(client.query('INSERT INTO t VALUES (1)'));
      const notJson = await rejection(Promise.resolve().then(() => JSON.parse('{')));
      expect([syntax, unique, notJson, new TypeError('x is undefined'), null, 'down'].map((e) => isDependencyOutage(e))).toEqual([false, false, false, false, false, false]);
      expect(toProblem(unique)).toMatchObject({ status: 500, code: 'internal' });
    } finally {
      await client.end();
      await db.drop();
    }
  });
});
