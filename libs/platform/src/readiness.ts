/** A dependency whose reachability decides readiness (broker, database). `check` throws when down. */
export interface ReadinessCheck {
  name: string;
  check(): Promise<void>;
}

export const READINESS_CHECKS = Symbol('READINESS_CHECKS');

/** Flipped when shutdown starts, so the load balancer stops sending traffic before sockets close. */
export class ShutdownState {
  private draining = false;
  get isDraining(): boolean {
    return this.draining;
  }
  startDraining(): void {
    this.draining = true;
  }
}
