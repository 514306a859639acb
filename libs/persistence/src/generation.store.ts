import type { Endpoint, TestCase } from '@spectest/contracts';
import { DataSource, EntityManager } from 'typeorm';
import type { QueryDeepPartialEntity } from 'typeorm/query-builder/QueryPartialEntity';
import { TaskCaseEntity } from './entities/task-case.entity';
import { TaskDocumentEntity } from './entities/task-document.entity';

export interface StoredDocument {
  title: string;
  version: string;
  openapiVersion: string;
  document: Record<string, unknown>;
  endpoints: Endpoint[];
  warnings: string[];
}

const CASE_INSERT_CHUNK = 500;

/** What the stages produce for a task: the normalized document, its endpoints, and the cases. */
export class GenerationStore {
  constructor(private readonly ds: DataSource) {}

  async saveDocument(taskId: string, doc: StoredDocument, manager: EntityManager = this.ds.manager): Promise<void> {
    await manager.getRepository(TaskDocumentEntity).upsert({ taskId, ...doc, createdAt: new Date() } as QueryDeepPartialEntity<TaskDocumentEntity>, ['taskId']);
  }

  async loadDocument(taskId: string): Promise<StoredDocument | null> {
    const row = await this.ds.getRepository(TaskDocumentEntity).findOne({ where: { taskId } });
    if (!row) return null;
    const { title, version, openapiVersion, document, endpoints, warnings } = row;
    return { title, version, openapiVersion, document, endpoints: endpoints as Endpoint[], warnings };
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

  async loadCases(taskId: string): Promise<TestCase[]> {
    const rows = await this.ds
      .getRepository(TaskCaseEntity)
      .find({ where: { taskId }, order: { position: 'ASC', caseId: 'ASC' } });
    return rows.map((r) => r.body as unknown as TestCase);
  }
}
