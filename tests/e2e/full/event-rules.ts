import { STAGES, STAGE_BANDS, TaskEvent, TaskEventSchema, isTerminalEvent } from '@spectest/contracts';

/**
 * Every rule API.md states for a task's events, checked on a complete sequence as a client received it.
 * Returns the broken rules (empty when the sequence obeys them all).
 */
export function brokenEventRules(events: TaskEvent[]): string[] {
  const broken: string[] = [];
  if (events.length === 0) return ['no events'];
  events.forEach((e, i) => {
    const parsed = TaskEventSchema.safeParse(e);
    if (!parsed.success) broken.push(`event ${i} does not match the event schema: ${parsed.error.message}`);
    if (e.seq !== i + 1) broken.push(`event ${i} has seq ${e.seq}, expected ${i + 1}`);
    if (e.taskId !== events[0].taskId) broken.push(`event ${i} belongs to another task`);
    if (e.progress < 0 || e.progress > 100) broken.push(`event ${e.seq} progress ${e.progress} outside 0-100`);
    if (i > 0 && e.progress < events[i - 1].progress) broken.push(`progress went down at seq ${e.seq}`);
    if (e.stage && !isTerminalEvent(e)) {
      const [lo, hi] = STAGE_BANDS[e.stage];
      if (e.progress < lo) broken.push(`seq ${e.seq} progress ${e.progress} below the ${e.stage} band (${lo})`);
      if (e.progress > hi) broken.push(`seq ${e.seq} progress ${e.progress} above the ${e.stage} band (${hi})`);
    }
    if (i > 0 && e.stage && events[i - 1].stage && STAGES.indexOf(e.stage) < STAGES.indexOf(events[i - 1].stage!)) {
      broken.push(`stage went back from ${events[i - 1].stage} to ${e.stage} at seq ${e.seq}`);
    }
    if (!e.messageKey || typeof e.message !== 'string' || e.message.length === 0) broken.push(`seq ${e.seq} has no message`);
  });
  const terminal = events.filter(isTerminalEvent);
  if (terminal.length !== 1) broken.push(`expected exactly one terminal event, got ${terminal.length}`);
  const last = events[events.length - 1];
  if (!isTerminalEvent(last)) broken.push('the last event is not terminal');
  if (last.type === 'completed') {
    if (last.progress !== 100) broken.push('completed event progress is not 100');
    if (!last.result) broken.push('completed event has no result');
  }
  if (last.type === 'failed' && !last.error?.code) broken.push('failed event has no error.code');
  return broken;
}
