import { Controller, Get, Headers, Inject, Param, ParseUUIDPipe, Query, Req, Res, UseGuards } from '@nestjs/common';
import { AppError, isTerminalStatus } from '@spectest/contracts';
import { AllowQueryToken, BearerAuthGuard, CurrentPrincipal, Principal, TokenExpiry } from '@spectest/auth';
import { TaskStore } from '@spectest/persistence';
import { metrics } from '@spectest/platform';
import { TaskFeeds } from '@spectest/progress';
import { ApiBearerAuth, ApiHeader, ApiOperation, ApiQuery, ApiResponse, ApiTags } from '@nestjs/swagger';
import type { Request, Response } from 'express';
import { ApiProblems } from './api-docs.decorators';
import { INTAKE_CONFIG, IntakeConfig } from './intake.config';
import { taskNotFound } from './intake.errors';
import { SseResponseSink } from './sse-response.sink';

const uuid = new ParseUUIDPipe({ exceptionFactory: () => taskNotFound() });

function parseAfter(lastEventId: string | undefined, after: string | undefined): number {
  const raw = lastEventId ?? after;
  if (raw === undefined || raw === '') return 0;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 0) throw new AppError('invalid_request', 'Last-Event-ID / after must be a non-negative integer seq');
  return n;
}

/**
 * GET /v1/tasks/{id}/events: Server-Sent Events, replay after Last-Event-ID or ?after=, then live, from the
 * task's feed in this process (TaskFeeds). The stream closes after the terminal event, at the token's
 * `exp` (whether the token came in the header or in `?access_token=`), and when the event log cannot be
 * read: EventSource then reconnects with Last-Event-ID, and the client misses nothing.
 */
@Controller('v1/tasks')
@UseGuards(BearerAuthGuard)
export class TaskEventsController {
  /** Open streams by the second their token expires: one timer for all of them. */
  private readonly expiry = new TokenExpiry<() => void>((close) => close());

  constructor(
    private readonly tasks: TaskStore,
    private readonly feeds: TaskFeeds,
    @Inject(INTAKE_CONFIG) private readonly config: IntakeConfig,
  ) {}

  @Get(':id/events')
  @ApiTags('tasks')
  @ApiBearerAuth()
  @ApiOperation({ summary: 'Server-Sent Events: replay after Last-Event-ID or ?after=, then live; closes after the terminal event' })
  @ApiHeader({ name: 'Last-Event-ID', required: false })
  @ApiQuery({ name: 'after', required: false, description: 'seq to resume after' })
  @ApiQuery({ name: 'access_token', required: false, description: 'for EventSource, which cannot set headers' })
  @ApiResponse({ status: 200, description: '`id: <seq>`, `event: <type>`, `data: <TaskEvent JSON>`', content: { 'text/event-stream': { schema: { type: 'string' } } } })
  @ApiProblems([400, 'after is not a seq of this task'], [401, 'missing or invalid token'], [404, 'no such task (or not yours)'])
  @AllowQueryToken()
  async events(
    @CurrentPrincipal() principal: Principal,
    @Param('id', uuid) id: string,
    @Headers('last-event-id') lastEventId: string | undefined,
    @Query('after') after: string | undefined,
    @Req() req: Request,
    @Res() res: Response,
  ): Promise<void> {
    const record = await this.tasks.getForTenant(id, principal.tenant);
    if (!record) throw taskNotFound();
    const afterSeq = parseAfter(lastEventId, after);
    if (afterSeq > record.snapshot.seq) {
      throw new AppError('invalid_request', `after=${afterSeq} is beyond the task's last event (seq ${record.snapshot.seq})`);
    }

    res.status(200);
    res.setHeader('Content-Type', 'text/event-stream; charset=utf-8');
    res.setHeader('Cache-Control', 'no-cache, no-transform');
    res.setHeader('Connection', 'keep-alive');
    res.setHeader('X-Accel-Buffering', 'no');
    res.flushHeaders();
    res.write('retry: 2000\n\n');
    if (isTerminalStatus(record.snapshot.status) && afterSeq >= record.snapshot.seq) {
      res.end();
      return;
    }

    const gauge = metrics.sseStreams();
    gauge.inc();
    let finished = false;
    let expiryKey: number | undefined;
    const heartbeat = setInterval(() => res.write(': heartbeat\n\n'), this.config.SSE_HEARTBEAT_MS);
    const finish = () => {
      if (finished) return;
      finished = true;
      clearInterval(heartbeat);
      gauge.dec();
      subscription.close();
      if (expiryKey !== undefined) this.expiry.remove(finish, expiryKey);
      res.end();
    };
    // The end comes after this returns (it may come at once for a replay that fails right away).
    const subscription = this.feeds.subscribe(id, afterSeq, record.snapshot, new SseResponseSink(res, () => setImmediate(finish)));
    if (principal.expiresAt !== null) expiryKey = this.expiry.add(finish, principal.expiresAt);
    req.on('close', finish);
    if (req.destroyed) finish();
  }
}
