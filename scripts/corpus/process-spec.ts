import { AppError, TestCaseSchema } from '@spectest/contracts';
import { ReadSpecStep, readSpec, selectEndpoints } from '@spectest/openapi';
import { buildFoundationCases } from '@spectest/cases';

/** What one spec did in the real parsing + foundation code. */
export interface SpecOutcome {
  status: 'completed' | 'failed' | 'crashed';
  /** AppError code for `failed`; the error's class name for `crashed`. */
  code?: string;
  message?: string;
  endpoints?: number;
  cases?: number;
  warnings?: number;
  /** Milliseconds per sub-step (read..endpoints as readSpec reports them, then foundation). */
  steps: Partial<Record<ReadSpecStep | 'foundation', number>>;
}

/**
 * The same calls the spec-parser service makes (readSpec with default limits, selectEndpoints,
 * buildFoundationCases per endpoint), minus the database. Every case is also checked against the
 * wire contract, because a case the packager cannot read is a crash that happens later.
 * Anything thrown that is not an AppError is a bug in our code: it is reported as `crashed`.
 */
export async function processSpec(text: Buffer): Promise<SpecOutcome> {
  const steps: SpecOutcome['steps'] = {};
  let current: ReadSpecStep | 'foundation' | null = null;
  let since = performance.now();
  const enter = (step: ReadSpecStep | 'foundation') => {
    const now = performance.now();
    if (current) steps[current] = Math.round(now - since);
    current = step;
    since = now;
  };
  try {
    const spec = await readSpec(text, {}, (step) => enter(step));
    enter('foundation');
    const endpoints = selectEndpoints(spec, undefined);
    let cases = 0;
    for (const endpoint of endpoints) {
      for (const testCase of buildFoundationCases({ ...spec, endpoints }, endpoint)) {
        const checked = TestCaseSchema.safeParse(testCase);
        if (!checked.success) throw new Error(`case ${testCase.id} breaks the TestCase contract: ${checked.error.message}`);
        cases++;
      }
    }
    steps.foundation = Math.round(performance.now() - since);
    return { status: 'completed', endpoints: endpoints.length, cases, warnings: spec.warnings.length, steps };
  } catch (error) {
    // `current` is set inside the step callback, which TypeScript's narrowing cannot see.
    const failedIn = current as ReadSpecStep | 'foundation' | null;
    if (failedIn) steps[failedIn] = Math.round(performance.now() - since);
    if (error instanceof AppError) return { status: 'failed', code: error.code, message: error.message, steps };
    const err = error instanceof Error ? error : new Error(String(error));
    return { status: 'crashed', code: err.name, message: `${err.message}\n${(err.stack ?? '').split('\n').slice(1, 6).join('\n')}`, steps };
  }
}
