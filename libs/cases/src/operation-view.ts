import { Endpoint } from '@spectest/contracts';
import { resolveOperation } from '@spectest/openapi';

export type JsonSchema = Record<string, unknown>;

export interface ParameterView {
  name: string;
  in: 'query' | 'header' | 'path' | 'cookie';
  required: boolean;
  schema: JsonSchema | null;
  raw: Record<string, unknown>;
}

export interface MediaView {
  contentType: string;
  schema: JsonSchema | null;
  raw: Record<string, unknown>;
}

/**
 * One operation with its references resolved, with the pieces case builders need already picked out:
 * parameters and the request body expanded (recursion and deep nesting cut with x-spectest-recursive-ref
 * markers); responses resolved down to their media types, each response `schema` as the document writes it
 * (local `$ref`s kept), so a case that expects it carries a reference, not a copy.
 * The objects are shared with other views of the same document: read them, never change them.
 */
export interface OperationView {
  operation: Record<string, unknown>;
  /** Path-level parameters merged with operation-level ones (the operation wins on name + location). */
  parameters: ParameterView[];
  requestBody: { required: boolean; media: MediaView } | null;
  responses: Record<string, Record<string, unknown>>;
}

// OpenAPI says header parameters with these names are ignored: they are set by the request itself.
const IGNORED_HEADERS = new Set(['accept', 'content-type', 'authorization']);

/** `document` is the bundled document of a ParsedSpec (local `$ref`s kept); the view is resolved lazily, per operation. */
export function viewOperation(document: Record<string, unknown>, endpoint: Endpoint): OperationView {
  const { pathItem, operation } = resolveOperation(document, endpoint);
  return {
    operation,
    parameters: mergeParameters(pathItem.parameters, operation.parameters),
    requestBody: viewRequestBody(operation.requestBody),
    responses: asRecord(operation.responses) as Record<string, Record<string, unknown>>,
  };
}

function mergeParameters(pathLevel: unknown, operationLevel: unknown): ParameterView[] {
  const merged = new Map<string, ParameterView>();
  for (const raw of [...asArray(pathLevel), ...asArray(operationLevel)]) {
    const view = viewParameter(raw);
    if (view) merged.set(`${view.in}:${view.in === 'header' ? view.name.toLowerCase() : view.name}`, view);
  }
  return [...merged.values()];
}

function viewParameter(raw: unknown): ParameterView | null {
  const p = asRecord(raw);
  if (typeof p.name !== 'string' || !['query', 'header', 'path', 'cookie'].includes(p.in as string)) return null;
  if (p.in === 'header' && IGNORED_HEADERS.has(p.name.toLowerCase())) return null;
  const contentSchema = Object.values(asRecord(p.content)).map((m) => asRecord(m).schema)[0];
  const schema = p.schema ?? contentSchema;
  return {
    name: p.name,
    in: p.in as ParameterView['in'],
    required: p.in === 'path' || p.required === true,
    schema: schema && typeof schema === 'object' ? (schema as JsonSchema) : null,
    raw: p,
  };
}

function viewRequestBody(raw: unknown): OperationView['requestBody'] {
  const body = asRecord(raw);
  const content = asRecord(body.content);
  const contentType = preferredMediaType(Object.keys(content));
  if (!contentType) return null;
  const media = asRecord(content[contentType]);
  const schema = media.schema && typeof media.schema === 'object' ? (media.schema as JsonSchema) : null;
  return {
    required: body.required === true,
    media: { contentType: contentType === '*/*' ? 'application/json' : contentType, schema, raw: media },
  };
}

/** JSON first, because it is what the cases can express faithfully; then forms; then whatever is first. */
export function preferredMediaType(types: string[]): string | null {
  const lower = (t: string) => t.toLowerCase().split(';')[0].trim();
  return (
    types.find((t) => lower(t) === 'application/json') ??
    types.find((t) => /\+json$/.test(lower(t))) ??
    types.find((t) => lower(t) === 'application/x-www-form-urlencoded') ??
    types.find((t) => lower(t) === 'multipart/form-data') ??
    types[0] ??
    null
  );
}

export function asRecord(value: unknown): Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

function asArray(value: unknown): unknown[] {
  return Array.isArray(value) ? value : [];
}
