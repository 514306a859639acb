import { ReadSpecStep } from '@spectest/openapi';
import { PARSE_STEP_PROGRESS, ParseStepHeartbeat } from './parse-step.heartbeat';

type Sent = { step: ReadSpecStep; progress: number };

function recorder(fail?: (n: number) => boolean) {
  const sent: Sent[] = [];
  let attempts = 0;
  let inFlight = 0;
  let overlapped = false;
  const report = async (step: ReadSpecStep, progress: number) => {
    inFlight++;
    if (inFlight > 1) overlapped = true;
    await new Promise((r) => setTimeout(r, 2));
    inFlight--;
    attempts++;
    if (fail?.(sent.length)) throw new Error('refused');
    sent.push({ step, progress });
  };
  return { sent, report, overlapped: () => overlapped, attempts: () => attempts };
}

async function until(check: () => boolean): Promise<void> {
  while (!check()) await new Promise((r) => setTimeout(r, 5));
}

describe('ParseStepHeartbeat', () => {
  it('repeats the current step while it runs, creeping toward the next step, in order and never concurrently', async () => {
    const rec = recorder();
    const heartbeat = new ParseStepHeartbeat(rec.report, 10);
    await heartbeat.step('read');
    await heartbeat.step('validate');
    await until(() => rec.sent.length >= 6);
    await heartbeat.step('dereference');
    await heartbeat.stop();
    const after = rec.sent.length;
    await new Promise((r) => setTimeout(r, 40));

    expect(rec.sent.length).toBe(after);
    expect(rec.overlapped()).toBe(false);
    expect(rec.sent[0]).toEqual({ step: 'read', progress: PARSE_STEP_PROGRESS.read });
    // A beat may follow the last step before stop(): the step itself is reported at its boundary.
    expect(rec.sent.find((s) => s.step === 'dereference')).toEqual({ step: 'dereference', progress: PARSE_STEP_PROGRESS.dereference });
    expect(rec.sent.at(-1)!.step).toBe('dereference');
    const validating = rec.sent.filter((s) => s.step === 'validate');
    expect(validating.length).toBeGreaterThan(3);
    for (let i = 1; i < rec.sent.length; i++) expect(rec.sent[i].progress).toBeGreaterThanOrEqual(rec.sent[i - 1].progress);
    for (const s of validating) expect(s.progress).toBeLessThan(PARSE_STEP_PROGRESS.dereference);
  });

  it('a step announced again is a beat where the step stands, not a restart of its progress', async () => {
    const rec = recorder();
    let clock = 0;
    const heartbeat = new ParseStepHeartbeat(rec.report, 0, () => clock);
    await heartbeat.step('read');
    clock = 5_000;
    await heartbeat.step('read');
    await heartbeat.step('validate');
    await heartbeat.stop();
    expect(rec.sent.map((s) => s.step)).toEqual(['read', 'read', 'validate']);
    expect(rec.sent[1].progress).toBeGreaterThan(PARSE_STEP_PROGRESS.read);
    expect(rec.sent[1].progress).toBeLessThan(PARSE_STEP_PROGRESS.validate);
  });

  it('with interval 0 reports only the step boundaries', async () => {
    const rec = recorder();
    const heartbeat = new ParseStepHeartbeat(rec.report, 0);
    await heartbeat.step('read');
    await new Promise((r) => setTimeout(r, 20));
    await heartbeat.step('validate');
    await heartbeat.stop();
    expect(rec.sent.map((s) => s.step)).toEqual(['read', 'validate']);
  });

  it('a refused heartbeat stops the beats and surfaces at the next step and at stop()', async () => {
    const rec = recorder((n) => n === 1);
    const heartbeat = new ParseStepHeartbeat(rec.report, 5);
    await heartbeat.step('read');
    await until(() => rec.attempts() >= 2);
    await expect(heartbeat.step('validate')).rejects.toThrow('refused');
    await expect(heartbeat.stop()).rejects.toThrow('refused');
    expect(rec.sent).toEqual([{ step: 'read', progress: PARSE_STEP_PROGRESS.read }]);
  });
});
