import type { TaskEvent } from '@spectest/contracts';
import { createParser } from 'eventsource-parser';
import { AttemptOutcome, TransportContext, bearer } from './transport';

/**
 * One Server-Sent Events request to intake, resuming with Last-Event-ID = the last seq. Read with fetch
 * (not EventSource) so the token goes in a header and the resume point is ours, not the browser's.
 */
export async function runSseAttempt(ctx: TransportContext, apiUrl: string): Promise<AttemptOutcome> {
  const token = await ctx.token();
  let res: Response;
  try {
    res = await fetch(`${apiUrl}/v1/tasks/${encodeURIComponent(ctx.taskId)}/events`, {
      headers: { accept: 'text/event-stream', 'last-event-id': String(ctx.lastSeq), ...bearer(token) },
      signal: ctx.signal,
    });
  } catch (err) {
    return { kind: 'dropped', connected: false, detail: String(err) };
  }
  if (res.status !== 200 || !res.body) {
    await res.body?.cancel().catch(() => undefined);
    if (res.status === 401) return { kind: 'unauthorized' };
    if (res.status === 404) return { kind: 'fatal', error: { code: 'not_found', message: `task ${ctx.taskId} not found` } };
    if (res.status === 400) return { kind: 'fatal', error: { code: 'invalid', message: `the server refused to resume after seq ${ctx.lastSeq}` } };
    return { kind: 'dropped', connected: false, detail: `HTTP ${res.status}` };
  }
  ctx.state('sse');
  let outcome: AttemptOutcome | undefined;
  let delivered = 0;
  const parser = createParser({
    onEvent: (msg) => {
      if (outcome) return;
      let event: TaskEvent;
      try {
        event = JSON.parse(msg.data) as TaskEvent;
      } catch {
        outcome = { kind: 'dropped', connected: true, detail: 'unreadable event' };
        return;
      }
      const accepted = ctx.accept(event);
      if (accepted === 'delivered') delivered++;
      if (accepted === 'ended') outcome = { kind: 'ended' };
      // A gap cannot come from intake's stream; if it does, start again from the seq we have.
      else if (accepted === 'gap') outcome = { kind: 'dropped', connected: true, detail: 'gap' };
    },
  });
  const reader = res.body.getReader();
  const decoder = new TextDecoder();
  try {
    while (!outcome) {
      const { done, value } = await reader.read();
      if (done) break;
      parser.feed(decoder.decode(value, { stream: true }));
    }
  } catch (err) {
    return { kind: 'dropped', connected: delivered > 0, detail: String(err) };
  } finally {
    reader.cancel().catch(() => undefined);
  }
  // A stream that closed without giving anything counts as a failure, so a watch resumed at the terminal
  // seq (intake closes such a stream at once) falls back to polling, which reports the ended task.
  return outcome ?? { kind: 'dropped', connected: delivered > 0, detail: 'stream closed' };
}
