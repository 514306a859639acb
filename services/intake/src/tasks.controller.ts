import { Body, Controller, Get, Headers, HttpCode, Inject, Param, ParseUUIDPipe, Post, Query, Res, UploadedFile, UseGuards, UseInterceptors } from '@nestjs/common';
import { FileInterceptor } from '@nestjs/platform-express';
import { ApiBearerAuth, ApiHeader, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { AppError, TASK_STATUSES, TaskSnapshot, TaskStatus, isTerminalStatus } from '@spectest/contracts';
import { BearerAuthGuard, CurrentPrincipal, Principal } from '@spectest/auth';
import { TaskStore, decodeCursor } from '@spectest/persistence';
import type { Response } from 'express';
import { INTAKE_CONFIG, IntakeConfig } from './intake.config';
import { taskNotFound } from './intake.errors';
import { SubmitTaskService } from './submit-task.service';
import { readSubmitRequest } from './submit-task.request';
import { TaskCancelService } from './task-cancel.service';
import { ApiJson, ApiProblems } from './api-docs.decorators';
import { TaskWaiter, preferWaitSeconds } from './task-waiter';

const uuid = new ParseUUIDPipe({ exceptionFactory: () => taskNotFound() });
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
const isIsoTime = (v: string): boolean => /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/.test(v) && !Number.isNaN(Date.parse(v));

@ApiTags('tasks')
@ApiBearerAuth()
@ApiProblems([401, 'missing or invalid token'])
@Controller('v1/tasks')
@UseGuards(BearerAuthGuard)
export class TasksController {
  constructor(
    private readonly submitter: SubmitTaskService,
    private readonly tasks: TaskStore,
    private readonly waiter: TaskWaiter,
    private readonly canceller: TaskCancelService,
    @Inject(INTAKE_CONFIG) private readonly config: IntakeConfig,
  ) {}

  @Post()
  @ApiOperation({ summary: 'Submit a task', description: 'JSON `{spec, name?, options?}` or multipart/form-data with a file field `spec` (and optional text fields `name`, `options` as JSON).' })
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'the same key and body give the same task' })
  @ApiHeader({ name: 'Prefer', required: false, description: '`wait=N` (N ≤ 300): answer when the task ends or N seconds pass' })
  @ApiJson(202, 'accepted', 'TaskAccepted')
  @ApiJson(200, 'with `Prefer: wait`, the task ended in time: its snapshot', 'TaskSnapshot')
  @ApiProblems([400, 'no spec, not JSON/YAML, invalid options'], [409, 'Idempotency-Key reused with another body'], [413, 'over the size limit'], [429, 'over the rate or concurrency limit (Retry-After)'])
  @UseInterceptors(FileInterceptor('spec'))
  async submit(
    @CurrentPrincipal() principal: Principal,
    @Body() body: unknown,
    @UploadedFile() file: { buffer: Buffer; originalname: string } | undefined,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Headers('prefer') prefer: string | undefined,
    @Res({ passthrough: true }) res: Response,
  ): Promise<unknown> {
    if (idempotencyKey !== undefined && (idempotencyKey.length === 0 || idempotencyKey.length > 200)) {
      throw new AppError('invalid_request', 'Idempotency-Key must be 1 to 200 characters');
    }
    const request = await readSubmitRequest(body, file, this.config.MAX_SPEC_BYTES);
    const { snapshot } = await this.submitter.submit(principal.tenant, request, idempotencyKey ?? null);
    const wait = preferWaitSeconds(prefer);
    if (wait !== null) {
      res.setHeader('Preference-Applied', `wait=${wait}`);
      const final = isTerminalStatus(snapshot.status) ? snapshot : await this.waiter.waitForEnd(snapshot, wait);
      if (final) {
        res.status(200);
        return final;
      }
    }
    res.status(202);
    res.setHeader('Location', this.links(snapshot.taskId).statusUrl);
    return this.accepted(snapshot);
  }

  @Get()
  @ApiOperation({ summary: "The caller's tasks, newest first" })
  @ApiQuery({ name: 'status', required: false, enum: TASK_STATUSES })
  @ApiQuery({ name: 'limit', required: false, description: '1 to 100, default 20' })
  @ApiQuery({ name: 'cursor', required: false, description: '`nextCursor` of the previous page' })
  @ApiJson(200, 'a page of snapshots', 'TaskPage')
  @ApiProblems([400, 'bad status, limit or cursor'])
  async list(
    @CurrentPrincipal() principal: Principal,
    @Query('status') status?: string,
    @Query('limit') limit?: string,
    @Query('cursor') cursor?: string,
  ) {
    if (status !== undefined && !TASK_STATUSES.includes(status as TaskStatus)) {
      throw new AppError('invalid_request', `status must be one of ${TASK_STATUSES.join(', ')}`);
    }
    const n = limit === undefined ? 20 : Number(limit);
    if (!Number.isInteger(n) || n < 1 || n > 100) throw new AppError('invalid_request', 'limit must be an integer from 1 to 100');
    const decoded = cursor ? decodeCursor(cursor) : null;
    // A forged cursor must not reach SQL: a non-UUID id or a non-ISO time made Postgres throw (a 500).
    if (cursor && !(decoded && UUID.test(decoded.i) && isIsoTime(decoded.c))) throw new AppError('invalid_request', 'cursor is not valid');
    return this.tasks.list(principal.tenant, { status: status as TaskStatus | undefined, limit: n, cursor: decoded });
  }

  @Get(':id')
  @ApiOperation({ summary: "A task's snapshot" })
  @ApiJson(200, 'the snapshot', 'TaskSnapshot')
  @ApiProblems([404, 'no such task (or not yours)'])
  async get(@CurrentPrincipal() principal: Principal, @Param('id', uuid) id: string): Promise<TaskSnapshot> {
    const record = await this.tasks.getForTenant(id, principal.tenant);
    if (!record) throw taskNotFound();
    return record.snapshot;
  }

  @Post(':id/cancel')
  @HttpCode(202)
  @ApiOperation({ summary: 'Ask the task to stop; running model calls are aborted' })
  @ApiJson(202, 'the cancelled snapshot', 'TaskSnapshot')
  @ApiProblems([404, 'no such task (or not yours)'], [409, 'the task has already ended'])
  async cancel(@CurrentPrincipal() principal: Principal, @Param('id', uuid) id: string): Promise<TaskSnapshot> {
    return this.canceller.cancel(id, principal.tenant);
  }

  private links(taskId: string) {
    const base = this.config.PUBLIC_BASE_URL?.replace(/\/$/, '') ?? '';
    return {
      statusUrl: `${base}/v1/tasks/${taskId}`,
      eventsUrl: `${base}/v1/tasks/${taskId}/events`,
      artifactUrl: `${base}/v1/tasks/${taskId}/artifact`,
    };
  }

  private accepted(snapshot: TaskSnapshot) {
    return {
      taskId: snapshot.taskId,
      status: snapshot.status,
      ...this.links(snapshot.taskId),
      socket: { namespace: '/tasks', taskId: snapshot.taskId },
    };
  }
}
