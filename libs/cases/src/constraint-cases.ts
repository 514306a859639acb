import { asRecord, JsonSchema, ParameterView } from './operation-view';
import { constraintBreaks } from './constraint-values';
import { flattenObjectSchema, isObjectSchema } from './schema-shape';
import { ValidRequest, setParameter } from './valid-request';
import { NegativeDraft, cloneRequest, isJsonContentType, isPlainObject, sentNames } from './negative-cases';
import { setOwnProperty } from '@spectest/openapi';

/**
 * One case per documented constraint of each parameter (enum, minimum/maximum, maxLength, pattern):
 * the valid request with that one value replaced by one that breaks the rule. Optional parameters
 * count too: a value that is sent must still be valid.
 */
export function parameterConstraintDrafts(valid: ValidRequest, parameters: ParameterView[]): NegativeDraft[] {
  const drafts: NegativeDraft[] = [];
  for (const parameter of parameters) {
    if (parameter.in === 'cookie') continue;
    for (const broken of constraintBreaks(parameter.schema)) {
      const request = cloneRequest(valid.request);
      setParameter(request, parameter, broken.value, undefined, sentNames(valid, parameter));
      drafts.push({
        kind: broken.kind,
        target: `${parameter.in}.${parameter.name}.${broken.keyword}`,
        title: `rejects ${parameter.in} parameter "${parameter.name}" = ${shown(broken.value)} (${broken.keyword})`,
        reason:
          `${capitalize(parameter.in)} parameter "${parameter.name}" ${broken.rule} (${broken.keyword} in the spec); ` +
          `${shown(broken.value)} breaks that rule, so a conforming server must refuse the request with a 4xx.`,
        request,
      });
    }
  }
  return drafts;
}

/** The same for the top-level fields of a JSON object body (readOnly fields are not sent, so not probed). */
export function bodyConstraintDrafts(valid: ValidRequest, bodySchema: JsonSchema | null): NegativeDraft[] {
  const body = valid.request.body;
  if (!isJsonContentType(valid.request.contentType) || !isObjectSchema(bodySchema) || !isPlainObject(body)) return [];
  const drafts: NegativeDraft[] = [];
  for (const [field, schema] of Object.entries(flattenObjectSchema(bodySchema).properties)) {
    if (asRecord(schema).readOnly === true) continue;
    for (const broken of constraintBreaks(schema)) {
      const request = cloneRequest(valid.request);
      setOwnProperty(request.body as Record<string, unknown>, field, broken.value);
      drafts.push({
        kind: broken.kind,
        target: `body.${field}.${broken.keyword}`,
        title: `rejects body field "${field}" = ${shown(broken.value)} (${broken.keyword})`,
        reason:
          `Body field "${field}" ${broken.rule} (${broken.keyword} in the spec); ` +
          `${shown(broken.value)} breaks that rule, so a conforming server must refuse the body with a 4xx.`,
        request,
      });
    }
  }
  return drafts;
}

function shown(value: string | number): string {
  const text = JSON.stringify(value);
  return text.length > 40 ? `${text.slice(0, 20)}…" (${String(value).length} characters)` : text;
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}
