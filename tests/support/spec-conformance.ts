import { readFile } from 'node:fs/promises';
import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { parse } from 'yaml';

/**
 * Checks an answer of a fixture server against the fixture's own OpenAPI document: the status is one
 * the operation documents, the media type is one documented for that status, and a JSON body matches
 * its schema. The fixture servers' tests use it so that "faithful to its spec" is checked, not claimed.
 */
export interface SpecConformance {
  /** Problems of one answer; empty when it conforms. */
  problems(method: string, pathTemplate: string, status: number, contentType: string | null, body: string): string[];
}

type Json = Record<string, unknown>;

export async function loadSpecConformance(specPath: string): Promise<SpecConformance> {
  const document = parse(await readFile(specPath, 'utf8')) as Json;
  // The whole document is one schema resource, so the schemas' own "#/components/..." references resolve in it.
  const ajv = new Ajv({ strict: false, allErrors: true });
  addFormats(ajv);
  ajv.addSchema(document, 'spec');
  return {
    problems(method, pathTemplate, status, contentType, body) {
      const operationPointer = ['paths', pathTemplate, method.toLowerCase()];
      if (!at(document, operationPointer)) return [`the spec has no operation ${method} ${pathTemplate}`];
      const responses = (at(document, [...operationPointer, 'responses']) ?? {}) as Json;
      const key = [String(status), `${String(status)[0]}XX`, 'default'].find((k) => k in responses);
      if (key === undefined) return [`status ${status} is not documented for ${method} ${pathTemplate}`];
      // A response may be a reference to components/responses; follow it to the object that holds the content.
      let pointer = [...operationPointer, 'responses', key];
      const ref = (at(document, pointer) as Json).$ref;
      if (typeof ref === 'string') pointer = ref.replace(/^#\//, '').split('/').map(unescapePointer);
      const content = (at(document, [...pointer, 'content']) ?? {}) as Record<string, Json>;
      if (Object.keys(content).length === 0) return body === '' ? [] : [`status ${status} documents no body, got ${JSON.stringify(body.slice(0, 80))}`];
      const type = (contentType ?? '').split(';')[0].trim().toLowerCase();
      if (!content[type]) return [`content type ${JSON.stringify(type)} is not documented for ${status} (documented: ${Object.keys(content).join(', ')})`];
      if (!type.includes('json') || !content[type].schema) return [];
      let value: unknown;
      try {
        value = JSON.parse(body);
      } catch {
        return [`the body is not JSON: ${JSON.stringify(body.slice(0, 80))}`];
      }
      const validate = ajv.getSchema(`spec#/${[...pointer, 'content', type, 'schema'].map(escapePointer).join('/')}`);
      if (!validate) return [`no schema at ${pointer.join('/')}`];
      return validate(value) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath || '(body)'} ${e.message}`);
    },
  };
}

function at(document: unknown, pointer: string[]): unknown {
  return pointer.reduce<unknown>((node, key) => (node !== null && typeof node === 'object' ? (node as Json)[key] : undefined), document);
}

function escapePointer(token: string): string {
  return encodeURIComponent(token.replace(/~/g, '~0').replace(/\//g, '~1'));
}

function unescapePointer(token: string): string {
  return token.replace(/~1/g, '/').replace(/~0/g, '~');
}

export interface Answer {
  status: number;
  contentType: string | null;
  headers: Headers;
  text: string;
  /** The body parsed as JSON (undefined when it is not JSON). */
  json: unknown;
}

/** One request to a fixture server, its answer read whole. A body object is sent as JSON. */
export async function send(
  baseUrl: string,
  method: string,
  path: string,
  options: { body?: unknown; rawBody?: string; headers?: Record<string, string> } = {},
): Promise<Answer> {
  const headers: Record<string, string> = { ...(options.body !== undefined ? { 'content-type': 'application/json' } : {}), ...options.headers };
  const body = options.rawBody ?? (options.body !== undefined ? JSON.stringify(options.body) : undefined);
  const response = await fetch(baseUrl + path, { method, headers, body });
  const text = await response.text();
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    json = undefined;
  }
  return { status: response.status, contentType: response.headers.get('content-type'), headers: response.headers, text, json };
}
