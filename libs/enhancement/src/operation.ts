/**
 * The parts of a dereferenced OpenAPI operation the enhancer reads. `operationOf(endpoint)` hands us a plain
 * object from the spec: read defensively, never trust its shape.
 */
export interface ParameterLike {
  name: string;
  in: 'path' | 'query' | 'header' | 'cookie';
  required?: boolean;
  description?: string;
  schema?: unknown;
}

interface MediaLike {
  schema?: unknown;
}

export interface OperationLike {
  summary?: string;
  description?: string;
  parameters?: ParameterLike[];
  requestBody?: { required?: boolean; content?: Record<string, MediaLike> };
  responses?: Record<string, { description?: string; content?: Record<string, MediaLike> }>;
}

const isObject = (v: unknown): v is Record<string, any> => typeof v === 'object' && v !== null && !Array.isArray(v);

export function asOperation(v: unknown): OperationLike {
  return isObject(v) ? (v as OperationLike) : {};
}

export function parametersOf(op: OperationLike): ParameterLike[] {
  return (Array.isArray(op.parameters) ? op.parameters : []).filter(
    (p): p is ParameterLike => isObject(p) && typeof p.name === 'string' && typeof p.in === 'string',
  );
}

/** Names in the path template, e.g. ["petId"] for /pets/{petId}. */
export const pathTemplateParams = (path: string): string[] => [...path.matchAll(/\{([^}]+)\}/g)].map((m) => m[1]);

/** Media types of the request body; empty when the operation takes no body. */
export function requestMediaTypes(op: OperationLike): string[] {
  return isObject(op.requestBody) && isObject(op.requestBody.content) ? Object.keys(op.requestBody.content) : [];
}

export function documentedStatuses(op: OperationLike): string[] {
  return isObject(op.responses) ? Object.keys(op.responses) : [];
}

const isJson = (mediaType: string) => /^application\/(.+\+)?json\b/i.test(mediaType);

export const preferredMediaType = (types: string[]): string | null => types.find(isJson) ?? types[0] ?? null;

/** The documented JSON response schema for a status: exact code, then 4XX-style range, then default; null if none. */
export function responseSchemaFor(op: OperationLike, status: number): unknown {
  const responses = isObject(op.responses) ? op.responses : {};
  const response = responses[String(status)] ?? responses[`${String(status)[0]}XX`] ?? responses[`${String(status)[0]}xx`] ?? responses.default;
  if (!isObject(response) || !isObject(response.content)) return null;
  const media = preferredMediaType(Object.keys(response.content).filter(isJson));
  const schema = media ? (response.content[media] as MediaLike)?.schema : undefined;
  return schema ?? null;
}
