import type { Endpoint, ParsedSpec, TestCase } from '@spectest/contracts';
import { DataSource, EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { TaskCaseEntity } from './entities/task-case.entity';
import { TaskDocumentEntity } from './entities/task-document.entity';

/** What packaging reads of the stored document: not the endpoints list (megabytes for a big spec), nor the warnings. */
export type PackagingDocument = Pick<ParsedSpec, 'title' | 'version' | 'document'>;

const CASE_INSERT_CHUNK = 500;
/** Cases read per round trip when loading a task's cases. */
const CASE_PAGE = 1_000;

/** What the stages produce for a task: the normalized document, its endpoints, and the cases. */
export class GenerationStore {
  constructor(private readonly ds: DataSource) {}

  async saveDocument(taskId: string, doc: ParsedSpec, manager: EntityManager = this.ds.manager): Promise<void> {
    await manager.getRepository(TaskDocumentEntity).upsert({ taskId, ...doc, createdAt: new Date() } as QueryDeepPartialEntity<TaskDocumentEntity>, ['taskId']);
  }

  async loadDocument(taskId: string): Promise<ParsedSpec | null> {
    const row = await this.ds.getRepository(TaskDocumentEntity).findOne({ where: { taskId } });
    if (!row) return null;
    const { title, version, openapiVersion, document, endpoints, warnings } = row;
    return { title, version, openapiVersion, document, endpoints: endpoints as Endpoint[], warnings };
  }

  /** The document for packaging: only the columns the artifact is made of are read from the database. */
  async loadPackagingDocument(taskId: string): Promise<PackagingDocument | null> {
    const row = await this.ds.getRepository(TaskDocumentEntity).findOne({ select: { taskId: true, title: true, version: true, document: true }, where: { taskId } });
    if (!row) return null;
    const { title, version, document } = row;
    return { title, version, document };
  }

  /**
   * Replaces every case of one source for a task, in one transaction: a redelivered stage
   * rewrites the same rows instead of adding duplicates.
   */
  async replaceCases(taskId: string, source: TestCase['source'], cases: TestCase[], firstPosition = 0): Promise<void> {
    await this.ds.transaction(async (m) => {
      await m.getRepository(TaskCaseEntity).delete({ taskId, source });
      const rows = cases.map((c, i) => ({
        taskId,
        caseId: c.id,
        position: firstPosition + i,
        source: c.source,
        endpoint: c.endpoint,
        body: c as unknown as Record<string, unknown>,
      }));
      for (let i = 0; i < rows.length; i += CASE_INSERT_CHUNK) {
        await m.getRepository(TaskCaseEntity).insert(rows.slice(i, i + CASE_INSERT_CHUNK) as QueryDeepPartialEntity<TaskCaseEntity>[]);
      }
    });
  }

  /** How many cases of each source the task has stored. */
  async countCases(taskId: string): Promise<{ foundation: number; ai: number }> {
    const rows = (await this.ds.query(`SELECT source, count(*)::int AS n FROM task_cases WHERE task_id = $1 GROUP BY source`, [taskId])) as { source: string; n: number }[];
    const of = (source: string) => rows.find((r) => r.source === source)?.n ?? 0;
    return { foundation: of('foundation'), ai: of('ai') };
  }

  /**
   * Every case of the task in generation order, read through a cursor `pageSize` rows at a time (only
   * their bodies): the caller gets the whole array, but the driver never holds the whole result as well.
   */
  async loadCases(taskId: string, pageSize = CASE_PAGE): Promise<TestCase[]> {
    const runner = this.ds.createQueryRunner();
    await runner.connect();
    try {
      await runner.startTransaction();
      await runner.query(
        'DECLARE task_cases_cursor NO SCROLL CURSOR FOR SELECT body FROM task_cases WHERE task_id = $1 ORDER BY position ASC, case_id ASC',
        [taskId],
      );
      const cases: TestCase[] = [];
      const fetch = `FETCH FORWARD ${Math.max(1, Math.floor(pageSize))} FROM task_cases_cursor`;
      for (;;) {
        const rows = (await runner.query(fetch)) as { body: TestCase }[];
        for (const row of rows) cases.push(row.body);
        if (rows.length === 0) break;
      }
      await runner.commitTransaction();
      return cases;
    } catch (error) {
      if (runner.isTransactionActive) await runner.rollbackTransaction();
      throw error;
    } finally {
      await runner.release();
    }
  }
}
