import { Controller, Get, Headers, Inject, Logger, Param, ParseUUIDPipe, Res, UseGuards } from '@nestjs/common';
import { AppError } from '@spectest/contracts';
import { BearerAuthGuard, CurrentPrincipal, Principal } from '@spectest/auth';
import { ARTIFACT_STORE, ArtifactStore, TaskStore } from '@spectest/persistence';
import { ApiBearerAuth, ApiOperation, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Response } from 'express';
import { pipeline } from 'node:stream/promises';
import { ApiProblems } from './api-docs.decorators';
import { taskNotFound } from './intake.errors';

const uuid = new ParseUUIDPipe({ exceptionFactory: () => taskNotFound() });

/** GET /v1/tasks/{id}/artifact: the ZIP, with its sha256 as a strong ETag, streamed from the store a chunk at a time. */
@Controller('v1/tasks')
@UseGuards(BearerAuthGuard)
export class ArtifactController {
  private readonly logger = new Logger(ArtifactController.name);

  constructor(
    private readonly tasks: TaskStore,
    @Inject(ARTIFACT_STORE) private readonly artifacts: ArtifactStore,
  ) {}

  @Get(':id/artifact')
  @ApiTags('tasks')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'The ZIP: node:test project, Postman collection, cases.json, REPORT.md, openapi.json' })
  @ApiResponse({ status: 200, description: 'ETag is the sha256 of the bytes', content: { 'application/zip': { schema: { type: 'string', format: 'binary' } } } })
  @ApiResponse({ status: 304, description: 'If-None-Match matched' })
  @ApiProblems([401, 'missing or invalid token'], [404, 'no such task (or not yours)'], [409, 'not ready'])
  async download(
    @CurrentPrincipal() principal: Principal,
    @Param('id', uuid) id: string,
    @Headers('if-none-match') ifNoneMatch: string | undefined,
    @Res() res: Response,
  ): Promise<void> {
    const record = await this.tasks.getForTenant(id, principal.tenant);
    if (!record) throw taskNotFound();
    if (record.snapshot.status !== 'completed') {
      throw new AppError('not_ready', `the artifact is not ready: the task is ${record.snapshot.status}`, 409);
    }
    const artifact = await this.artifacts.open(id);
    if (!artifact) throw new AppError('not_ready', 'the artifact is not stored yet', 409);
    const etag = `"${artifact.sha256}"`;
    res.setHeader('ETag', etag);
    res.setHeader('Cache-Control', 'private, max-age=0, must-revalidate');
    if (ifNoneMatch && ifNoneMatch.split(',').some((t) => t.trim() === etag || t.trim() === '*')) {
      artifact.content.destroy();
      res.status(304).end();
      return;
    }
    const filename = `${record.snapshot.name.replace(/[^A-Za-z0-9._-]+/g, '-').slice(0, 80) || 'task'}-tests.zip`;
    res.status(200);
    res.setHeader('Content-Type', 'application/zip');
    res.setHeader('Content-Length', String(artifact.bytes));
    res.setHeader('Content-Disposition', `attachment; filename="${filename}"`);
    try {
      await pipeline(artifact.content, res);
    } catch (err) {
      // The headers are out: a failed read (or a client gone) ends the connection short of Content-Length,
      // which every client sees as an incomplete download, never as a whole but wrong ZIP.
      if (!res.destroyed) res.destroy();
      if ((err as NodeJS.ErrnoException).code !== 'ERR_STREAM_PREMATURE_CLOSE') {
        this.logger.warn({ taskId: id, err: (err as Error).message }, 'artifact download ended early');
      }
    }
  }
}
