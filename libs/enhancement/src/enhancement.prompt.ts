import { Endpoint, TestCase } from '@spectest/contracts';
import { ModelRequest } from './providers/model-provider';
import { answerJsonSchema } from './answer.schema';
import { OperationLike, documentedStatuses, parametersOf, requestMediaTypes } from './operation';

/** Schemas can be huge; the model needs their shape, not every byte. */
const MAX_SCHEMA_CHARS = 3_000;
const MAX_LISTED_CASES = 40;

const SYSTEM = [
  'You are a senior API test engineer. You write extra test cases for ONE HTTP operation of an OpenAPI document.',
  'Find what the existing cases miss: boundary values, invalid formats, enums, missing or extra fields, not-found ids, conflicting input.',
  'Rules: use only the method and path given; use only the parameters listed (path, query, header); send a body only when the operation',
  'has a request body; every path parameter needs a value; expect.status is the single status code a correct server answers.',
  'Answer with JSON only, no prose, no code fences: {"cases": [...]} as the schema says.',
].join(' ');

const clip = (v: unknown): string => {
  const s = JSON.stringify(v) ?? 'null';
  return s.length > MAX_SCHEMA_CHARS ? `${s.slice(0, MAX_SCHEMA_CHARS)}... (truncated)` : s;
};

/** The model call for one endpoint. The "Operation: METHOD /path" line is also what test doubles key on. */
export function buildEnhancementRequest(endpoint: Endpoint, operation: OperationLike, foundationCases: TestCase[], maxCases: number): ModelRequest {
  const method = endpoint.method.toUpperCase();
  const lines: string[] = [`Operation: ${method} ${endpoint.path}`];
  if (endpoint.operationId) lines.push(`Operation id: ${endpoint.operationId}`);
  const summary = endpoint.summary ?? operation.summary;
  if (summary) lines.push(`Summary: ${summary}`);
  if (typeof operation.description === 'string' && operation.description) lines.push(`Description: ${operation.description.slice(0, 1000)}`);

  const params = parametersOf(operation).filter((p) => p.in !== 'cookie');
  lines.push(params.length ? 'Parameters:' : 'Parameters: none');
  for (const p of params) lines.push(`- ${p.name} (in ${p.in}, ${p.required || p.in === 'path' ? 'required' : 'optional'}): ${clip(p.schema ?? {})}`);

  const media = requestMediaTypes(operation);
  if (!media.length) lines.push('Request body: none');
  else {
    const required = operation.requestBody?.required ? 'required' : 'optional';
    lines.push(`Request body (${required}, ${media.join(', ')}): ${clip(operation.requestBody?.content?.[media[0]]?.schema ?? {})}`);
  }

  const statuses = documentedStatuses(operation);
  lines.push(`Documented responses: ${statuses.length ? statuses.join(', ') : 'none'}`);
  for (const s of statuses) {
    const r = operation.responses?.[s];
    if (r?.description) lines.push(`- ${s}: ${r.description.slice(0, 200)}`);
  }

  const mine = foundationCases.filter((c) => c.endpoint === endpoint.key).slice(0, MAX_LISTED_CASES);
  lines.push(mine.length ? 'Existing cases (do not repeat them):' : 'Existing cases: none');
  for (const c of mine) lines.push(`- ${c.title} -> ${c.expect.status ?? c.expect.statusClass}`);

  lines.push(`Write at most ${maxCases} new cases.`);
  return { system: SYSTEM, prompt: lines.join('\n'), format: answerJsonSchema(maxCases) };
}
