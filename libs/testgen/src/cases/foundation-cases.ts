import { Endpoint, TestCase } from '@spectest/contracts';
import { ParsedSpec } from '../spec/parsed-spec';
import { caseId, operationLabel } from './case-id';
import { bodyConstraintDrafts, parameterConstraintDrafts } from './constraint-cases';
import { expectedAuthError, expectedClientError, expectedSuccess } from './expected-response';
import { bodyDrafts, missingParameterDrafts, wrongTypeParameterDrafts } from './negative-cases';
import { missingAuthDraft, unsupportedContentTypeDraft } from './request-level-cases';
import { viewOperation } from './operation-view';
import { buildValidRequest } from './valid-request';

const VALUE_ORIGIN_TEXT = {
  examples: 'this request uses its documented examples',
  samples: 'this request carries values generated from its schemas (documented examples where there are some)',
  none: 'this request needs no parameters or body',
} as const;

export interface FoundationCaseOptions {
  /** Picks among several documented examples; the same seed always gives the same cases. Default 0. */
  seed?: number;
}

/**
 * The deterministic cases of one operation: a positive case that expects the documented success answer,
 * then negative cases that expect a 4xx: a missing required parameter or body field, a wrong-typed
 * value, a value outside enum / minimum / maximum / maxLength / pattern, an undocumented content type,
 * no credentials where security is required. Same input, same output, same ids.
 */
export function buildFoundationCases(spec: ParsedSpec, endpoint: Endpoint, options: FoundationCaseOptions = {}): TestCase[] {
  const seed = options.seed ?? 0;
  const view = viewOperation(spec.document, endpoint);
  const valid = buildValidRequest(endpoint, view, seed);
  const label = operationLabel(endpoint);
  const success = expectedSuccess(view.responses);
  const successText = success.status !== null ? String(success.status) : `a ${success.statusClass} status`;

  const positive: TestCase = {
    id: caseId(endpoint, 'positive'),
    endpoint: endpoint.key,
    group: endpoint.group,
    source: 'foundation',
    kind: 'positive',
    title: `${label}: returns ${successText} for a valid request`,
    reason:
      `The spec documents ${successText} as the success answer of ${endpoint.key}; ` +
      VALUE_ORIGIN_TEXT[valid.valueOrigin] +
      ', so a conforming server should answer with it.',
    request: valid.request,
    expect: success,
  };

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
  return [positive, ...negatives];
}
