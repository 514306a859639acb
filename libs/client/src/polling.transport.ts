import type { TaskSnapshot } from '@spectest/contracts';
import { AttemptOutcome, TransportContext, bearer, sleep } from './transport';

/**
 * The last resort: GET the snapshot every `intervalMs`. It shows where the task stands, not its events;
 * the watch keeps its last seq, so when a streaming transport is back the missed events are replayed.
 */
export async function runPollingAttempt(ctx: TransportContext, apiUrl: string, intervalMs: number): Promise<AttemptOutcome> {
  let connected = false;
  while (!ctx.signal.aborted) {
    const token = await ctx.token();
    let res: Response;
    try {
      res = await fetch(`${apiUrl}/v1/tasks/${encodeURIComponent(ctx.taskId)}`, { headers: { accept: 'application/json', ...bearer(token) }, signal: ctx.signal });
    } catch (err) {
      return { kind: 'dropped', connected, detail: String(err) };
    }
    if (res.status !== 200) {
      await res.body?.cancel().catch(() => undefined);
      if (res.status === 401) return { kind: 'unauthorized' };
      if (res.status === 404) return { kind: 'fatal', error: { code: 'not_found', message: `task ${ctx.taskId} not found` } };
      return { kind: 'dropped', connected, detail: `HTTP ${res.status}` };
    }
    let snapshot: TaskSnapshot;
    try {
      snapshot = (await res.json()) as TaskSnapshot;
    } catch (err) {
      return { kind: 'dropped', connected, detail: String(err) };
    }
    connected = true;
    ctx.state('polling');
    if (ctx.polled(snapshot)) return { kind: 'ended' };
    await sleep(intervalMs, ctx.signal);
  }
  return { kind: 'dropped', connected, detail: 'aborted' };
}
