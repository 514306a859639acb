import { ProgressUpdate, TaskEvent, TaskSnapshot, WorkStage, isTerminalStatus, reduceProgress } from '@spectest/contracts';

export type RefusalReason = 'task_ended' | 'stage_order' | 'invalid_update' | 'not_found' | 'stale_dispatch';

export type ReportResult =
  | { ok: true; event: TaskEvent; snapshot: TaskSnapshot }
  | { ok: false; reason: RefusalReason; detail: string };

/**
 * Whose report this is: a stage run (its dispatch and lease owner) or a give-up of a dispatch (no owner:
 * accepted only while no live lease holds the task). A report whose dispatch is no longer current is
 * refused with `stale_dispatch`, so an old message can never move or end a task that has moved on.
 */
export interface ReportFence {
  generation: number;
  stage: WorkStage;
  owner?: string;
}

export interface ReportItem {
  taskId: string;
  update: ProgressUpdate;
  fence?: ReportFence;
}

/** A locked task row: its snapshot and its dispatch, as the fence checks it. */
export interface LockedTask {
  snapshot: TaskSnapshot;
  dispatch: { generation: number; stage: string; leaseOwner: string | null; leaseLive: boolean };
}

export interface BatchOutcome {
  /** One per item, in the items' order. */
  results: ReportResult[];
  /** The events to insert and then publish: arrival order, so each task's are in seq order. */
  events: TaskEvent[];
  /** The last state of every task that got at least one event: its snapshot columns. */
  snapshots: TaskSnapshot[];
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** The ids to lock: distinct, lower-cased as Postgres returns them, without strings that are no uuid (not_found, no query error). */
export function taskIdsToLock(items: readonly ReportItem[]): string[] {
  const ids = new Set<string>();
  for (const { taskId } of items) if (UUID.test(taskId)) ids.add(taskId.toLowerCase());
  return [...ids].sort();
}

/**
 * The pure core of a batch: applies the reducer item by item in arrival order, each task's update to
 * the state its previous update left, so several updates of one task in one batch chain as if they
 * were committed one by one. A refusal concerns its item only.
 */
export function reduceBatch(current: ReadonlyMap<string, LockedTask>, items: readonly ReportItem[], now: () => Date): BatchOutcome {
  const states = new Map([...current].map(([id, locked]) => [id, locked.snapshot]));
  const changed = new Set<string>();
  const events: TaskEvent[] = [];
  const results = items.map(({ taskId, update, fence }): ReportResult => {
    const key = taskId.toLowerCase();
    const state = states.get(key);
    if (!state) return { ok: false, reason: 'not_found', detail: `no task ${taskId}` };
    // An ended task says so first: a late report of any dispatch is refused as task_ended.
    const stale = fence && !isTerminalStatus(state.status) ? staleFence(current.get(key)!.dispatch, fence) : null;
    if (stale) return { ok: false, reason: 'stale_dispatch', detail: stale };
    const outcome = reduceProgress(state, update, now());
    if (!outcome.ok) return outcome;
    states.set(key, outcome.state);
    changed.add(key);
    events.push(outcome.event);
    return { ok: true, event: outcome.event, snapshot: outcome.state };
  });
  return { results, events, snapshots: [...changed].map((id) => states.get(id)!) };
}

function staleFence(dispatch: LockedTask['dispatch'], fence: ReportFence): string | null {
  if (dispatch.generation !== fence.generation || dispatch.stage !== fence.stage) {
    return `the dispatch is now ${dispatch.stage} generation ${dispatch.generation}, not ${fence.stage} generation ${fence.generation}`;
  }
  if (fence.owner !== undefined && dispatch.leaseOwner !== fence.owner) return 'another delivery holds the stage now';
  if (fence.owner === undefined && dispatch.leaseOwner !== null && dispatch.leaseLive) return 'a delivery is running the stage';
  return null;
}
