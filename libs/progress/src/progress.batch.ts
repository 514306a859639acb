import { ProgressUpdate, TaskEvent, TaskSnapshot, reduceProgress } from '@spectest/contracts';

export type RefusalReason = 'task_ended' | 'stage_order' | 'invalid_update' | 'not_found';

export type ReportResult =
  | { ok: true; event: TaskEvent; snapshot: TaskSnapshot }
  | { ok: false; reason: RefusalReason; detail: string };

export interface ReportItem {
  taskId: string;
  update: ProgressUpdate;
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
export function reduceBatch(current: ReadonlyMap<string, TaskSnapshot>, items: readonly ReportItem[], now: () => Date): BatchOutcome {
  const states = new Map(current);
  const changed = new Set<string>();
  const events: TaskEvent[] = [];
  const results = items.map(({ taskId, update }): ReportResult => {
    const key = taskId.toLowerCase();
    const state = states.get(key);
    if (!state) return { ok: false, reason: 'not_found', detail: `no task ${taskId}` };
    const outcome = reduceProgress(state, update, now());
    if (!outcome.ok) return outcome;
    states.set(key, outcome.state);
    changed.add(key);
    events.push(outcome.event);
    return { ok: true, event: outcome.event, snapshot: outcome.state };
  });
  return { results, events, snapshots: [...changed].map((id) => states.get(id)!) };
}
