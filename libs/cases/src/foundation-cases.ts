import { Endpoint, ParsedSpec, TestCase } from '@spectest/contracts';
import { caseId, operationLabel } from './case-id';
import { bodyConstraintDrafts, parameterConstraintDrafts } from './constraint-cases';
import { expectedAuthError, expectedClientError } from './expected-response';
import { bodyDrafts, missingParameterDrafts, wrongTypeParameterDrafts } from './negative-cases';
import { missingAuthDraft, unsupportedContentTypeDraft } from './request-level-cases';
import { viewOperation } from './operation-view';
import { positiveCases } from './positive-cases';
import { requestVariants } from './request-variants';
import { successTargets } from './success-targets';

export interface FoundationCaseOptions {
  /** Picks among several documented examples; the same seed always gives the same cases. Default 0. */
  seed?: number;
}

/**
 * The deterministic cases of one operation: positive cases, one per documented success answer (each 2xx,
 * each of its media types) and one per other documented request (named example, request media type);
 * then negative cases that expect a 4xx: a missing required parameter or body field, a wrong-typed
 * value, a value outside enum / minimum / maximum / maxLength / pattern, an undocumented content type,
 * no credentials where security is required. Same input, same output, same ids.
 */
export function buildFoundationCases(spec: ParsedSpec, endpoint: Endpoint, options: FoundationCaseOptions = {}): TestCase[] {
  const seed = options.seed ?? 0;
  const view = viewOperation(spec.document, endpoint);
  const variants = requestVariants(endpoint, view, seed);
  const valid = variants[0].valid;
  const label = operationLabel(endpoint);
  const positives = positiveCases(endpoint, variants, successTargets(view.responses));

  const clientError = expectedClientError(view.responses);
  const authError = expectedAuthError(view.responses);
  const bodySchema = view.requestBody?.media.schema ?? null;
  const drafts = [
    ...missingParameterDrafts(valid),
    ...bodyDrafts(valid, bodySchema),
    ...wrongTypeParameterDrafts(valid, view.parameters),
    ...parameterConstraintDrafts(valid, view.parameters),
    ...bodyConstraintDrafts(valid, bodySchema),
    ...unsupportedContentTypeDraft(valid, view),
    ...missingAuthDraft(valid, spec.document, view),
  ];
  const negatives: TestCase[] = drafts.map((draft) => ({
    id: caseId(endpoint, draft.kind, draft.target),
    endpoint: endpoint.key,
    group: endpoint.group,
    source: 'foundation',
    kind: draft.kind,
    title: `${label}: ${draft.title}`,
    reason: draft.reason,
    request: draft.request,
    expect: draft.kind === 'missing_auth' ? authError : clientError,
  }));
  return uniqueIds([...positives, ...negatives]);
}

/** Names that differ only in characters an id cannot hold ("a b", "a-b") would share an id: number the repeats. */
function uniqueIds(cases: TestCase[]): TestCase[] {
  const seen = new Map<string, number>();
  return cases.map((testCase) => {
    const count = (seen.get(testCase.id) ?? 0) + 1;
    seen.set(testCase.id, count);
    return count === 1 ? testCase : { ...testCase, id: `${testCase.id}~${count}` };
  });
}
