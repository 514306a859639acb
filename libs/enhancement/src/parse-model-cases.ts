import { createHash } from 'node:crypto';
import { jsonrepair } from 'jsonrepair';
import { Endpoint, TestCase, TestCaseSchema } from '@spectest/contracts';
import { ModelCase, ModelCaseSchema } from './answer.schema';
import { OperationLike, asOperation, parametersOf, pathTemplateParams, preferredMediaType, requestMediaTypes, responseSchemaFor } from './operation';

export interface ParsedCases {
  cases: TestCase[];
  /** Cases the model wrote that were not kept. */
  dropped: number;
  /** Why: one entry per dropped case, or one for an answer that held no case list at all. */
  reasons: string[];
}

/** Headers a case may set besides the operation's header parameters. */
const ALWAYS_ALLOWED_HEADERS = new Set(['accept', 'content-type', 'authorization']);

/**
 * The model's answer, untrusted, to contract cases (source and kind `ai`). Tolerates code fences, prose around
 * the JSON and the usual breakage (repaired by jsonrepair); keeps a case only if it is well-formed, aims at this endpoint's method and path, uses only parameters
 * the operation declares, and repeats neither another case nor a foundation case. Ids hash the endpoint and the
 * request, so the same answer yields the same ids.
 */
export function parseModelCases(
  text: string,
  endpoint: Endpoint,
  maxCases: number,
  operation: object = {},
  foundationCases: TestCase[] = [],
): ParsedCases {
  const raw = extractCaseList(text);
  if (!Array.isArray(raw)) return { cases: [], dropped: 0, reasons: [raw.error] };
  const op = asOperation(operation);
  const seen = new Set(foundationCases.filter((c) => c.endpoint === endpoint.key).map((c) => fingerprint(c.request, c.expect.status)));
  const cases: TestCase[] = [];
  const reasons: string[] = [];
  raw.forEach((item, i) => {
    const why = (msg: string) => reasons.push(`case ${i + 1}: ${msg}`);
    const parsed = ModelCaseSchema.safeParse(item);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      return why(`invalid (${issue.path.join('.') || 'case'}: ${issue.message})`);
    }
    const built = toTestCase(parsed.data, endpoint, op);
    if (typeof built === 'string') return why(built);
    const key = fingerprint(built.request, built.expect.status);
    if (seen.has(key)) return why('repeats an existing case');
    if (cases.length >= maxCases) return why(`over the limit of ${maxCases} cases`);
    seen.add(key);
    cases.push({ ...built, id: `ai-${createHash('sha256').update(`${endpoint.key}\n${key}`).digest('hex').slice(0, 16)}` });
  });
  return { cases, dropped: reasons.length, reasons };
}

/** The array of cases in the answer, or why there is none. */
function extractCaseList(text: string): unknown[] | { error: string } {
  const value = parseLenient(text);
  if (value === undefined) return { error: 'the answer is not JSON' };
  if (Array.isArray(value)) return value;
  if (value && typeof value === 'object') {
    const cases = (value as { cases?: unknown }).cases;
    if (Array.isArray(cases)) return cases;
    if ('request' in value) return [value];
  }
  return { error: 'the answer has no "cases" list' };
}

/**
 * The JSON in the answer, repaired by jsonrepair where a model typically breaks it (code fences, trailing commas,
 * single quotes, unquoted keys, a truncated end). Prose around the JSON is cut off first (first opening bracket to
 * last closing one, or to the end when the answer was cut short): jsonrepair would read prose as more values.
 */
function parseLenient(text: string): unknown {
  const start = text.search(/[[{]/);
  if (start < 0) return undefined;
  const end = Math.max(text.lastIndexOf('}'), text.lastIndexOf(']'));
  const candidates = [end > start ? text.slice(start, end + 1) : '', text.slice(start)];
  for (const c of candidates) {
    if (!c) continue;
    for (const read of [JSON.parse, (t: string) => JSON.parse(jsonrepair(t)) as unknown]) {
      try {
        const v: unknown = read(c);
        if (v !== null && typeof v === 'object') return v;
      } catch {
        // try the next reading
      }
    }
  }
  return undefined;
}

function toTestCase(m: ModelCase, endpoint: Endpoint, op: OperationLike): Omit<TestCase, 'id'> | string {
  const r = m.request;
  if (r.method !== undefined && r.method.toLowerCase() !== endpoint.method) return `method ${r.method} is not ${endpoint.method.toUpperCase()}`;
  if (r.path !== undefined && r.path !== endpoint.path) return `path ${r.path} is not ${endpoint.path}`;

  const params = parametersOf(op);
  const templateNames = pathTemplateParams(endpoint.path);
  for (const name of Object.keys(r.pathParams)) if (!templateNames.includes(name)) return `path parameter "${name}" does not exist`;
  for (const name of templateNames) if (r.pathParams[name] === undefined) return `path parameter "${name}" has no value`;
  const queryNames = new Set(params.filter((p) => p.in === 'query').map((p) => p.name));
  for (const name of Object.keys(r.query)) if (!queryNames.has(name)) return `query parameter "${name}" does not exist`;
  const headerNames = new Set(params.filter((p) => p.in === 'header').map((p) => p.name.toLowerCase()));
  for (const name of Object.keys(r.headers)) {
    if (!headerNames.has(name.toLowerCase()) && !ALWAYS_ALLOWED_HEADERS.has(name.toLowerCase())) return `header "${name}" is not a parameter`;
  }

  const media = requestMediaTypes(op);
  const hasBody = r.body !== undefined && r.body !== null;
  if (hasBody && !media.length) return 'sends a body to an operation that takes none';
  if (r.contentType && media.length && !media.includes(r.contentType)) return `content type ${r.contentType} is not accepted`;
  const status = m.expect.status;
  const candidate: Omit<TestCase, 'id'> = {
    endpoint: endpoint.key,
    group: endpoint.group,
    source: 'ai',
    kind: 'ai',
    title: m.title,
    reason: m.reason || 'suggested by the AI model',
    request: {
      method: endpoint.method,
      path: endpoint.path,
      pathParams: r.pathParams,
      query: r.query,
      headers: r.headers,
      contentType: hasBody ? (r.contentType ?? preferredMediaType(media)) : null,
      ...(hasBody ? { body: r.body } : {}),
    },
    expect: { status, statusClass: `${String(status)[0]}xx` as TestCase['expect']['statusClass'], responseSchema: responseSchemaFor(op, status) },
  };
  // The contract is the last word: whatever slipped past the checks above does not leave this function.
  const ok = TestCaseSchema.safeParse({ ...candidate, id: 'x' });
  return ok.success ? candidate : `does not fit the test case contract (${ok.error.issues[0].message})`;
}

/** Identity of a case: what it sends and what it expects. Key order does not matter. */
function fingerprint(req: TestCase['request'], status: number | null): string {
  return stableJson({ m: req.method, p: req.path, pp: req.pathParams, q: req.query, h: req.headers, b: req.body ?? null, s: status });
}

function stableJson(v: unknown): string {
  if (Array.isArray(v)) return `[${v.map(stableJson).join(',')}]`;
  if (v && typeof v === 'object') {
    return `{${Object.keys(v)
      .sort()
      .map((k) => `${JSON.stringify(k)}:${stableJson((v as Record<string, unknown>)[k])}`)
      .join(',')}}`;
  }
  return JSON.stringify(v) ?? 'null';
}
