import { Controller, Get, Inject, ServiceUnavailableException } from '@nestjs/common';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
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

  /** Readiness: every dependency reachable, and not shutting down. */
  @Get('ready')
  @HealthCheck()
  ready() {
    if (this.shutdown.isDraining) throw new ServiceUnavailableException({ status: 'shutting_down' });
    return this.health.check(
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
  }
}
