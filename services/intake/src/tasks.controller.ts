import { Controller, Get, Headers, HttpCode, Inject, Param, ParseUUIDPipe, Post, Query, Req, Res, UseGuards } from '@nestjs/common';
import { ApiBearerAuth, ApiHeader, ApiOperation, ApiQuery, ApiTags } from '@nestjs/swagger';
import { AppError, TASK_STATUSES, TaskSnapshot, TaskStatus, isTerminalStatus } from '@spectest/contracts';
import { BearerAuthGuard, CurrentPrincipal, Principal } from '@spectest/auth';
import { TaskStore, decodeCursor } from '@spectest/persistence';
import type { Request, Response } from 'express';
import { INTAKE_CONFIG, IntakeConfig } from './intake.config';
import { taskNotFound } from './intake.errors';
import { SubmitTaskService } from './submit-task.service';
import { SubmitLimits, readSubmitRequest, submissionKind } from './submit-task.request';
import { checkBodyHeaders, declaredLength, isEncoded } from './request-body.stream';
import { UploadLimiter } from './upload-limiter';
import { TaskCancelService } from './task-cancel.service';
import { ApiJson, ApiProblems } from './api-docs.decorators';
import { TaskWaiter, preferWaitSeconds } from './task-waiter';

const uuid = new ParseUUIDPipe({ exceptionFactory: () => taskNotFound() });

/** The body limits of a submission, from the config (docs/configuration.md). */
export function submitLimits(config: IntakeConfig): SubmitLimits {
  return {
    maxSpecBytes: config.MAX_SPEC_BYTES,
    specMaxDepth: config.SPEC_MAX_DEPTH,
    body: {
      // A spec inside JSON may be escaped (its size checked exactly once decoded); 64 KiB for the other fields.
      maxBytes: config.MAX_SPEC_BYTES * 2 + 64 * 1024,
      maxCompressedBytes: config.MAX_COMPRESSED_BODY_BYTES,
      maxInflateRatio: config.MAX_INFLATE_RATIO,
      minBytesPerSecond: config.MIN_BODY_BYTES_PER_SECOND,
      rateWindowMs: config.BODY_RATE_WINDOW_MS,
      deadlineMs: config.HTTP_REQUEST_TIMEOUT_MS,
    },
  };
}

/**
 * Whose uploads a body counts against: the tenant of a token; without one (dev mode) the address it comes from,
 * so that one local client cannot lock out another.
 */
const uploadClient = (principal: Principal, req: Request): string =>
  principal.expiresAt === null && principal.subject === 'dev' ? `address:${req.socket.remoteAddress ?? '?'}` : `tenant:${principal.tenant}`;
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
    private readonly uploads: UploadLimiter,
    @Inject(INTAKE_CONFIG) private readonly config: IntakeConfig,
  ) {
    this.limits = submitLimits(config);
  }

  private readonly limits: SubmitLimits;

  @Post()
  @ApiOperation({ summary: 'Submit a task', description: 'JSON `{spec, name?, options?}` or multipart/form-data with a file field `spec` (and optional text fields `name`, `options` as JSON).' })
  @ApiHeader({ name: 'Idempotency-Key', required: false, description: 'the same key and body give the same task' })
  @ApiHeader({ name: 'Prefer', required: false, description: '`wait=N` (N ≤ 300): answer when the task ends or N seconds pass' })
  @ApiJson(202, 'accepted', 'TaskAccepted')
  @ApiJson(200, 'with `Prefer: wait`, the task ended in time: its snapshot', 'TaskSnapshot')
  @ApiProblems(
    [400, 'no spec, not JSON/YAML, invalid options, text with a NUL, nested too deep'],
    [408, 'the body arrived too slowly'],
    [409, 'Idempotency-Key reused with another body'],
    [413, 'over the size limit, compressed or decoded, or inflating too much'],
    [415, 'not JSON or multipart, or an unknown Content-Encoding'],
    [429, 'over the rate, concurrency or upload limit (Retry-After)'],
    [503, 'this server holds as many uploads as it can (Retry-After)'],
  )
  async submit(
    @CurrentPrincipal() principal: Principal,
    @Headers('idempotency-key') idempotencyKey: string | undefined,
    @Headers('prefer') prefer: string | undefined,
    @Req() req: Request,
    @Res({ passthrough: true }) res: Response,
  ): Promise<unknown> {
    if (idempotencyKey !== undefined && (idempotencyKey.length === 0 || idempotencyKey.length > 200)) {
      throw new AppError('invalid_request', 'Idempotency-Key must be 1 to 200 characters');
    }
    // Everything that can be decided from the headers and the caller is decided before one byte of body is read.
    const kind = submissionKind(req);
    checkBodyHeaders(req, this.limits.body);
    await this.submitter.admit(principal.tenant, idempotencyKey ?? null);
    const upload = this.uploads.acquire(uploadClient(principal, req), isEncoded(req) ? 0 : (declaredLength(req) ?? 0));
    let snapshot: TaskSnapshot;
    try {
      const request = await readSubmitRequest(req, res, kind, this.limits, upload);
      ({ snapshot } = await this.submitter.submit(principal.tenant, request, idempotencyKey ?? null));
    } finally {
      upload.release();
    }
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
