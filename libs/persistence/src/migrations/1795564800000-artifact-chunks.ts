import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Artifacts as ordered chunks instead of one bytea value, so a ZIP is written and served a slice at a
 * time. Stored artifacts are moved into 1 MiB chunks; `content_id` names the version of the bytes. The
 * chunks' key to `artifacts` is checked at commit: a writer stores the chunks first and the row last.
 */
export class ArtifactChunks1795564800000 implements MigrationInterface {
  name = 'ArtifactChunks1795564800000';

  async up(q: QueryRunner): Promise<void> {
    await q.query(`
      CREATE TABLE artifact_chunks (
        task_id uuid NOT NULL REFERENCES artifacts(task_id) ON DELETE CASCADE DEFERRABLE INITIALLY DEFERRED,
        seq int NOT NULL,
        data bytea NOT NULL,
        PRIMARY KEY (task_id, seq)
      )`);
    await q.query(`ALTER TABLE artifacts ADD COLUMN content_id uuid`);
    await q.query(`UPDATE artifacts SET content_id = gen_random_uuid()`);
    await q.query(`
      INSERT INTO artifact_chunks (task_id, seq, data)
      SELECT a.task_id, s.i, substring(a.content FROM s.i * 1048576 + 1 FOR 1048576)
      FROM artifacts a, generate_series(0, GREATEST(0, (length(a.content) - 1) / 1048576)) AS s(i)`);
    await q.query(`ALTER TABLE artifacts DROP COLUMN content, ALTER COLUMN content_id SET NOT NULL`);
  }

  async down(q: QueryRunner): Promise<void> {
    await q.query(`ALTER TABLE artifacts ADD COLUMN content bytea`);
    await q.query(`
      UPDATE artifacts a SET content = COALESCE(
        (SELECT string_agg(c.data, ''::bytea ORDER BY c.seq) FROM artifact_chunks c WHERE c.task_id = a.task_id), ''::bytea)`);
    await q.query(`ALTER TABLE artifacts ALTER COLUMN content SET NOT NULL, DROP COLUMN content_id`);
    await q.query(`DROP TABLE artifact_chunks`);
  }
}
