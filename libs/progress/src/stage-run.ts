import { Logger } from '@nestjs/common';
import { Stage, WorkStage } from '@spectest/contracts';
import { DeliverySupersededError, WORK_DEFAULTS, WorkDelivery, parseWorkMessage } from '@spectest/messaging';
import { Dispatch, DispatchStore, Lease } from '@spectest/persistence';
import { randomUUID } from 'node:crypto';
import type { ProgressWriter } from './progress.writer';
import { StageOrderError, StageReporter, StaleDispatchError, TaskEndedError } from './stage.reporter';
import type { TaskDispatcher } from './task-dispatcher';

export interface StageRunnerOptions {
  /**
   * How long a lease lives unrenewed: the broker's ack wait, so when a dead holder's message comes back
   * its lease has expired too and the new delivery takes over at once.
   */
  leaseTtlMs?: number;
  /** While another delivery holds the lease: how often to look again. */
  heldPollMs?: number;
}

/** Re-reads of the stored state after the stage was found elsewhere than the run thought (StageOrderError). */
const MAX_RESUMES = 3;

/**
 * One delivery's run of a stage, holding the task's lease: its reports are fenced on the lease (a run
 * that lost it can change nothing), and `handOff` records and publishes the next stage.
 */
export class StageRun {
  private readonly lost = new AbortController();
  private handedOff = false;

  constructor(
    readonly lease: Lease,
    private readonly writer: ProgressWriter,
    private readonly store: DispatchStore,
    private readonly dispatcher: TaskDispatcher,
    private readonly logger: Logger,
  ) {}

  get taskId(): string {
    return this.lease.taskId;
  }

  /** Aborted once another delivery or a newer dispatch took the task: stop calling out (model calls). */
  get signal(): AbortSignal {
    return this.lost.signal;
  }

  get isHandedOff(): boolean {
    return this.handedOff;
  }

  reporter(stage: Stage): StageReporter {
    const { generation, stage: work, owner } = this.lease;
    return new StageReporter(this.writer, this.taskId, stage, undefined, undefined, { generation, stage: work, owner });
  }

  /**
   * The stage is done: `next` becomes the dispatch and is published. A failed publish is not this run's
   * failure (the stage's work is stored): the outbox publishes the recorded dispatch later.
   */
  async handOff(next: WorkStage): Promise<void> {
    if (!(await this.store.advance(this.lease, next))) throw new StaleDispatchError(this.taskId, 'the lease was lost before the hand-off');
    this.handedOff = true;
    const dispatch: Dispatch = { taskId: this.taskId, generation: this.lease.generation, stage: next };
    try {
      await this.dispatcher.publish(dispatch);
    } catch (err) {
      this.logger.warn({ taskId: this.taskId, next, err: String(err) }, 'next stage recorded; its publish failed, the outbox will publish it');
    }
  }

  markLost(): void {
    this.lost.abort(new StaleDispatchError(this.taskId, 'the lease was taken over'));
  }
}

/**
 * Makes a stage redeliverable: a work message may come at any time, again, late, or twice at once.
 * `run` parses it, drops it when stale (an older generation, a stage the task has left, an ended task),
 * waits while another delivery of the same dispatch holds the lease, and otherwise claims the lease,
 * keeps it renewed while the stage runs, and releases it. The stage itself resumes from what is stored.
 */
export class StageRunner {
  private readonly logger = new Logger('StageRunner');
  private readonly owners = new WeakMap<WorkDelivery, string>();
  private readonly leaseTtlMs: number;
  private readonly heldPollMs: number;

  constructor(
    private readonly store: DispatchStore,
    private readonly writer: ProgressWriter,
    private readonly dispatcher: TaskDispatcher,
    options: StageRunnerOptions = {},
  ) {
    this.leaseTtlMs = options.leaseTtlMs ?? WORK_DEFAULTS.ackWaitMs;
    this.heldPollMs = options.heldPollMs ?? 1_000;
  }

  async run(stage: WorkStage, payload: unknown, delivery: WorkDelivery, body: (run: StageRun) => Promise<void>): Promise<void> {
    const msg = parseWorkMessage(stage, payload);
    const dispatch: Dispatch = { taskId: msg.taskId, generation: msg.generation, stage };
    // One owner per delivery: a handler run again in place (after an outage) takes its own lease back at once.
    let owner = this.owners.get(delivery);
    if (!owner) this.owners.set(delivery, (owner = randomUUID()));
    if (!(await this.claim(dispatch, owner))) return;
    const run = new StageRun({ ...dispatch, owner }, this.writer, this.store, this.dispatcher, this.logger);
    const renew = setInterval(() => {
      this.store
        .renew(run.lease, this.leaseTtlMs)
        .then((held) => held || run.markLost())
        .catch(() => undefined); // the database is down: the writer's fence guards the lease meanwhile
    }, Math.max(100, Math.floor(this.leaseTtlMs / 5)));
    try {
      await this.runResuming(run, body);
    } catch (err) {
      if (err instanceof TaskEndedError) return;
      if (!(err instanceof StaleDispatchError) && !run.signal.aborted) throw err;
      const current = await this.store.current(dispatch.taskId);
      if (current && current.generation === dispatch.generation && current.stage === stage) {
        throw new DeliverySupersededError(`task ${dispatch.taskId}: another delivery runs the ${stage} stage now`);
      }
      this.logger.log({ taskId: dispatch.taskId, stage, generation: dispatch.generation, current }, 'the task moved on while this run worked; stopped');
    } finally {
      clearInterval(renew);
      if (!run.isHandedOff) await this.store.release(run.lease).catch(() => undefined);
    }
  }

  /** Claims the lease, waiting while another delivery holds it; false when the message is stale. */
  private async claim(dispatch: Dispatch, owner: string): Promise<boolean> {
    for (;;) {
      const claim = await this.store.claim(dispatch, owner, this.leaseTtlMs);
      if (claim.kind === 'claimed') return true;
      if (claim.kind === 'held') {
        await new Promise((resolve) => setTimeout(resolve, Math.min(this.heldPollMs, claim.leftMs + 50)));
        continue;
      }
      const detail = claim.kind === 'stale' ? { current: claim.current } : {};
      this.logger.log({ taskId: dispatch.taskId, stage: dispatch.stage, generation: dispatch.generation, reason: claim.kind, ...detail }, 'stale work message acked and dropped');
      return false;
    }
  }

  /** The stage found elsewhere than it thought is not a failure: read what is stored and go on from there. */
  private async runResuming(run: StageRun, body: (run: StageRun) => Promise<void>): Promise<void> {
    for (let resumes = 0; ; resumes += 1) {
      try {
        return await body(run);
      } catch (err) {
        if (!(err instanceof StageOrderError) || resumes >= MAX_RESUMES) throw err;
        this.logger.warn({ taskId: run.taskId, err: err.message }, 'the stage moved on meanwhile; resuming from what is stored');
      }
    }
  }
}
