import { asRecord, OperationView } from './operation-view';
import { ValidRequest } from './valid-request';
import { NegativeDraft, cloneRequest } from './negative-cases';

/** A media type no API documents; sent with the valid body, it must be refused (415 by HTTP's book). */
export const UNSUPPORTED_CONTENT_TYPE = 'application/x-spectest-unsupported';

/**
 * The valid body with a content type the operation does not accept. Skipped when the operation
 * accepts any type (a wildcard media range such as `*\/*` or `application/*`).
 */
export function unsupportedContentTypeDraft(valid: ValidRequest, view: OperationView): NegativeDraft[] {
  if (!view.requestBody || valid.request.body === undefined) return [];
  const documented = Object.keys(asRecord(asRecord(view.operation.requestBody).content));
  if (documented.some((type) => type.includes('*'))) return [];
  const request = cloneRequest(valid.request);
  request.contentType = UNSUPPORTED_CONTENT_TYPE;
  request.body = typeof request.body === 'string' ? request.body : JSON.stringify(request.body);
  return [
    {
      kind: 'unsupported_content_type',
      target: 'content-type',
      title: `rejects a body sent as ${UNSUPPORTED_CONTENT_TYPE}`,
      reason:
        `The operation documents its body as ${documented.join(', ')}; the same body sent as ` +
        `${UNSUPPORTED_CONTENT_TYPE} must be refused (415 Unsupported Media Type, or another 4xx), not guessed at.`,
      request,
    },
  ];
}

/**
 * The valid request with no credentials, when every security alternative of the operation needs some
 * (an empty requirement `{}` makes authentication optional, and then there is nothing to refuse).
 */
export function missingAuthDraft(valid: ValidRequest, document: Record<string, unknown>, view: OperationView): NegativeDraft[] {
  const requirements = Array.isArray(view.operation.security) ? view.operation.security : document.security;
  if (!Array.isArray(requirements) || requirements.length === 0) return [];
  const alternatives = requirements.map((r) => Object.keys(asRecord(r)));
  if (alternatives.some((names) => names.length === 0)) return [];
  const request = cloneRequest(valid.request);
  request.security = [];
  const names = [...new Set(alternatives.flat())].sort();
  return [
    {
      kind: 'missing_auth',
      target: 'security',
      title: 'rejects a request without credentials',
      reason:
        `The operation requires authentication (${names.join(', ')}); the same request without any credentials ` +
        'must be refused with 401 or 403, not served.',
      request,
    },
  ];
}
