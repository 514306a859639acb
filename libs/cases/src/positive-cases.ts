import { Endpoint, TestCase } from '@spectest/contracts';
import { caseId, operationLabel } from './case-id';
import { RequestVariant } from './request-variants';
import { SuccessTarget, statusLabel } from './success-targets';
import { cloneRequest } from './negative-cases';

const VALUE_ORIGIN_TEXT = {
  examples: 'this request uses its documented examples',
  samples: 'this request carries values generated from its schemas (documented examples where there are some)',
  none: 'this request needs no parameters or body',
} as const;

/**
 * The positive cases of one operation: the main request aimed at each documented success answer, then
 * each other request variant (named example, request media type) aimed at the first one. Not the cross
 * product: a variant proves the server takes that request, a target that it can give that answer.
 */
export function positiveCases(endpoint: Endpoint, variants: RequestVariant[], targets: SuccessTarget[]): TestCase[] {
  const [main, ...others] = variants;
  return [
    ...targets.map((target) => positiveCase(endpoint, main, target, target.idSuffix)),
    ...others.map((variant) => positiveCase(endpoint, variant, targets[0], variant.idSuffix)),
  ];
}

function positiveCase(endpoint: Endpoint, variant: RequestVariant, target: SuccessTarget, idSuffix: string | null): TestCase {
  const request = cloneRequest(variant.valid.request);
  if (target.accept) request.headers.accept = target.accept;
  const origin = VALUE_ORIGIN_TEXT[variant.valid.valueOrigin] + (target.accept ? `, with Accept: ${target.accept}` : '');
  const unchecked = target.uncheckedBody ? ` (${target.uncheckedBody})` : '';
  const unmet = variant.valid.unmetPatterns;
  const patternNote =
    unmet.length > 0
      ? ` No value matching ${unmet.map((p) => JSON.stringify(p)).join(', ')} could be generated, so the request carries a plain sample there; a server that checks ${unmet.length > 1 ? 'these patterns' : 'this pattern'} will refuse it.`
      : '';
  const reason =
    target.documented.length > 1
      ? `The spec documents ${target.documented.map(statusLabel).join(', ')} as success answers of ${endpoint.key}; this case aims at ` +
        `${target.label}. A server answers one request with one status, so any of them passes, and the body is checked ` +
        `against the schema of the status returned${unchecked}. ${capitalize(origin)}.${patternNote}`
      : `The spec documents ${target.label} as the success answer of ${endpoint.key}; ${origin}${unchecked}, so a conforming server should answer with it.${patternNote}`;
  return {
    id: caseId(endpoint, 'positive', idSuffix ?? undefined),
    endpoint: endpoint.key,
    group: endpoint.group,
    source: 'foundation',
    kind: 'positive',
    title: `${operationLabel(endpoint)}: returns ${target.label} for ${variant.description}`,
    reason,
    request,
    expect: target.expect,
  };
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
