import { Controller, Get, Inject, Res, ServiceUnavailableException } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import type { Response } from 'express';
import { READINESS_CHECKS, ReadinessCheck, ShutdownState } from './readiness';

const CHECK_TIMEOUT_MS = 3000;

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`no answer in ${ms} ms`)), ms);
  });
  return Promise.race([p, timeout]).finally(() => clearTimeout(timer));
}

@Controller('health')
export class HealthController {
  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    @Inject(READINESS_CHECKS) private readonly checks: ReadinessCheck[],
    private readonly shutdown: ShutdownState,
  ) {}

  /** Liveness: the process answers. Dependencies are not checked here, so a broker outage does not restart pods. */
  @Get('live')
  @HealthCheck()
  live() {
    return this.health.check([]);
  }

  /**
   * Readiness: every dependency reachable, and not shutting down. A 503 carries terminus' own body
   * (`error: { broker: { status: 'down', message } }`) rather than going through the problem filter,
   * which would reduce it to "Service Unavailable Exception" and hide which dependency is down.
   */
  @Get('ready')
  @HealthCheck()
  async ready(@Res({ passthrough: true }) res: Response): Promise<unknown> {
    if (this.shutdown.isDraining) {
      res.status(503);
      return { status: 'shutting_down' };
    }
    try {
      return await this.health.check(
        this.checks.map((c) => async () => {
          const session = this.indicators.check(c.name);
          try {
            await withTimeout(c.check(), CHECK_TIMEOUT_MS);
            return session.up();
          } catch (err) {
            return session.down({ message: (err as Error).message });
          }
        }),
      );
    } catch (err) {
      if (!(err instanceof ServiceUnavailableException)) throw err;
      res.status(503);
      return err.getResponse();
    }
  }
}
