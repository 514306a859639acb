import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { AppError } from '@spectest/contracts';
import { stringify } from 'yaml';
import { DEFAULT_SPEC_LIMITS, ReadSpecStep, readSpec, resolveOperation, stopSpecValidator } from './index';

// The first read of a file starts the validator worker, which loads swagger-parser: slow on a busy machine.
jest.setTimeout(30_000);
afterAll(() => stopSpecValidator());

const FIXTURES = join(__dirname, '../../../tests/fixtures');
const fixture = (name: string) => readFile(join(FIXTURES, name));

async function codeOf(promise: Promise<unknown>): Promise<string> {
  try {
    await promise;
  } catch (error) {
    expect(error).toBeInstanceOf(AppError);
    return (error as AppError).code;
  }
  throw new Error('expected readSpec to fail');
}

const minimal = (extra: Record<string, unknown> = {}) => ({
  openapi: '3.0.3',
  info: { title: 'Mini', version: '1.0.0' },
  paths: { '/ping': { get: { responses: { '200': { description: 'ok' } } } } },
  ...extra,
});

describe('readSpec: formats and versions', () => {
  it('reads OpenAPI 3.0 YAML and reports each step in order', async () => {
    const steps: ReadSpecStep[] = [];
    const spec = await readSpec(await fixture('petstore.yaml'), {}, (step) => {
      steps.push(step);
    });
    expect(steps).toEqual(['read', 'validate', 'dereference', 'endpoints']);
    expect(spec).toMatchObject({ title: 'Swagger Petstore', version: '1.0.0', openapiVersion: '3.0.3', warnings: [] });
    expect(spec.endpoints.map((e) => e.key)).toEqual(['GET /pets', 'POST /pets', 'GET /pets/{petId}']);
    // The document keeps its references; a view of one operation resolves them.
    expect(JSON.stringify(spec.document)).toContain('"$ref":"#/components/schemas/Pet"');
    const view = resolveOperation(spec.document, spec.endpoints[1]);
    expect(JSON.stringify(view.operation.requestBody)).not.toContain('$ref');
  });

  it('converts Swagger 2.0 JSON to OpenAPI 3.0 and keeps the source version', async () => {
    const spec = await readSpec((await fixture('petstore.swagger2.json')).toString('utf8'));
    expect(spec.openapiVersion).toBe('2.0');
    expect(String(spec.document.openapi)).toMatch(/^3\.0\./);
    expect(spec.endpoints.map((e) => e.key)).toEqual(['GET /pets', 'POST /pets', 'GET /pets/{petId}']);
    const post = resolveOperation(spec.document, spec.endpoints[1]).operation as any;
    expect(post.requestBody.content['application/json'].schema.required).toEqual(['id', 'name']);
    // swagger2openapi moved the definitions; the references follow them.
    expect(JSON.stringify(spec.document)).toContain('"$ref":"#/components/schemas/');
    expect(JSON.stringify(spec.document)).not.toContain('#/definitions/');
  });

  it('reads OpenAPI 3.1 and lists all 37 operations of the bookstore', async () => {
    const spec = await readSpec(await fixture('bookstore.openapi31.yaml'));
    expect(spec.openapiVersion).toBe('3.1.0');
    expect(spec.endpoints).toHaveLength(37);
  });

  it('accepts JSON text, YAML text, a Buffer and an object alike', async () => {
    const doc = minimal();
    for (const input of [JSON.stringify(doc), stringify(doc), Buffer.from(JSON.stringify(doc)), doc]) {
      const spec = await readSpec(input);
      expect(spec.endpoints.map((e) => e.key)).toEqual(['GET /ping']);
    }
  });

  it('starts a new validator after stopSpecValidator', async () => {
    await stopSpecValidator();
    await stopSpecValidator();
    await expect(readSpec(minimal())).resolves.toMatchObject({ title: 'Mini' });
  });

  it('does not mutate an object input', async () => {
    const doc = minimal();
    const before = JSON.stringify(doc);
    await readSpec(doc);
    expect(JSON.stringify(doc)).toBe(before);
  });

  it('cuts recursive schemas in an operation view one level down, with a warning; responses keep their $ref', async () => {
    const spec = await readSpec(await fixture('recursive.yaml'));
    expect(spec.warnings.join('\n')).toContain('#/components/schemas/Node');
    const view = resolveOperation(spec.document, spec.endpoints[0]).operation as any;
    const node = view.requestBody.content['application/json'].schema;
    expect(node.properties.parent.properties.name).toEqual({ type: 'string' });
    expect(node.properties.parent.properties.parent).toEqual({
      description: 'Recursive reference to #/components/schemas/Node (cut here)',
      'x-spectest-recursive-ref': '#/components/schemas/Node',
    });
    expect(view.responses['201'].content['application/json'].schema).toEqual({ $ref: '#/components/schemas/Node' });
  });

  it('resolves a path item $ref, a $ref with siblings (3.1) and a chain of references', async () => {
    const spec = await readSpec({
      openapi: '3.1.0',
      info: { title: 'Refs', version: '1' },
      paths: {
        '/a': { $ref: '#/paths/~1b' },
        '/b': {
          post: {
            requestBody: { $ref: '#/components/requestBodies/B' },
            responses: { '200': { $ref: '#/components/responses/Ok' } },
          },
        },
      },
      components: {
        requestBodies: { B: { content: { 'application/json': { schema: { $ref: '#/components/schemas/Alias', description: 'the body' } } } } },
        responses: { Ok: { description: 'ok', content: { 'application/json': { schema: { $ref: '#/components/schemas/Thing' } } } } },
        schemas: { Alias: { $ref: '#/components/schemas/Thing' }, Thing: { type: 'object', properties: { n: { type: 'integer' } } } },
      },
    });
    expect(spec.endpoints.map((e) => e.key)).toEqual(['POST /a', 'POST /b']);
    const view = resolveOperation(spec.document, spec.endpoints[0]).operation as any;
    expect(view.requestBody.content['application/json'].schema).toEqual({
      type: 'object',
      properties: { n: { type: 'integer' } },
      description: 'the body',
    });
    expect(view.responses['200']).toEqual({ description: 'ok', content: { 'application/json': { schema: { $ref: '#/components/schemas/Thing' } } } });
  });

  it('shares one expansion of a schema between the operations that use it', async () => {
    const spec = await readSpec(await fixture('petstore.yaml'));
    const create = spec.endpoints[1];
    const a = (resolveOperation(spec.document, create).operation as any).requestBody.content['application/json'].schema;
    const b = (resolveOperation(spec.document, create).operation as any).requestBody.content['application/json'].schema;
    expect(a).toBe(b);
  });
});

describe('readSpec: refusals', () => {
  it.each([
    ['empty text', ''],
    ['whitespace', '   \n  '],
    ['a bare JSON number', '42'],
    ['a JSON array', '[1, 2]'],
    ['invalid UTF-8', Buffer.from([0xff, 0xfe, 0xfd, 0x00, 0x80])],
    ['NUL bytes', 'openapi: 3.0.0\u0000'],
    ['an unsupported version', JSON.stringify({ ...minimal(), openapi: '4.0.0' })],
  ])('refuses %s as invalid_spec', async (_name, input) => {
    expect(await codeOf(readSpec(input as string | Buffer))).toBe('invalid_spec');
  });

  it('refuses invalid YAML with a message that points at the line', async () => {
    const error = await readSpec(await fixture('hostile/invalid.yaml')).catch((e: AppError) => e);
    expect(error).toBeInstanceOf(AppError);
    expect((error as AppError).code).toBe('invalid_spec');
    expect((error as AppError).message).toMatch(/line 3/);
  });

  it('refuses JSON that is not OpenAPI, naming the fields it looked for', async () => {
    const error = (await readSpec(await fixture('hostile/not-openapi.json')).catch((e) => e)) as AppError;
    expect(error.code).toBe('invalid_spec');
    expect(error.message).toContain('"openapi"');
  });

  it('refuses a schema-invalid document with the validator details', async () => {
    const error = (await readSpec(await fixture('hostile/invalid-openapi.yaml')).catch((e) => e)) as AppError;
    expect(error.code).toBe('invalid_spec');
    expect(error.details).toEqual(
      expect.arrayContaining([expect.objectContaining({ path: '/paths/~1things/get', message: expect.stringContaining('responses') })]),
    );
  });

  it('refuses a dangling local $ref as invalid_spec, used or not', async () => {
    const doc = minimal({
      paths: { '/x': { get: { responses: { '200': { $ref: '#/components/responses/Nope' } } } } },
    });
    expect(await codeOf(readSpec(doc))).toBe('invalid_spec');
    const unused = minimal({ components: { schemas: { A: { $ref: '#/components/schemas/Missing' } } } });
    expect(await codeOf(readSpec(unused))).toBe('invalid_spec');
  });

  it('refuses a loop of references that never reaches a value', async () => {
    const doc = minimal({
      paths: { '/x': { get: { responses: { '200': { $ref: '#/components/responses/A' } } } } },
      components: { responses: { A: { $ref: '#/components/responses/B' }, B: { $ref: '#/components/responses/A' } } },
    });
    expect(await codeOf(readSpec(doc))).toBe('invalid_spec');
  });
});

describe('readSpec: limits', () => {
  it('exports its defaults', () => {
    expect(DEFAULT_SPEC_LIMITS).toEqual({
      maxBytes: 50 * 1024 * 1024,
      maxDepth: 200,
      maxAliases: 1000,
      maxOperations: 30_000,
      maxSchemaNesting: 8,
      maxExpandedNodes: 20_000,
      maxExpandedBytes: 4 * 1024 * 1024,
    });
  });

  it('applies the expansion limits per operation: schema nesting (marker + warning), a shallower view, spec_too_large', async () => {
    const doc = () =>
      minimal({
        paths: {
          '/a': {
            post: {
              requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/A' } } } },
              responses: { '200': { description: 'ok' } },
            },
          },
        },
        components: {
          schemas: {
            A: { type: 'object', properties: { b: { $ref: '#/components/schemas/B' } } },
            B: { type: 'object', properties: { c: { $ref: '#/components/schemas/C' } } },
            C: { type: 'string', description: 'x'.repeat(400) },
          },
        },
      });
    const nested = await readSpec(doc(), { maxSchemaNesting: 1 });
    expect(nested.warnings).toContain('Named schemas nested more than 1 deep were not expanded further (marked x-spectest-recursive-ref)');
    expect((await readSpec(doc())).warnings).toEqual([]);
    // Over the bytes of one operation with everything expanded (C's prose): the view stops before C, and says so.
    const shallower = await readSpec(doc(), { maxExpandedBytes: 500 });
    expect(shallower.warnings).toEqual([
      '1 operation(s) expand named schemas less deep than 8 (e.g. POST /a: 2), because their full expansion passes the per-operation limits (SPEC_MAX_EXPANDED_NODES, SPEC_MAX_EXPANDED_BYTES)',
    ]);
    const body = (resolveOperation(shallower.document, shallower.endpoints[0]).operation as any).requestBody.content['application/json'].schema;
    expect(body.properties.b.properties.c['x-spectest-recursive-ref']).toBe('#/components/schemas/C');
    // Over the limits even with no named schema expanded: refused.
    expect(await codeOf(readSpec(doc(), { maxExpandedNodes: 3 }))).toBe('spec_too_large');
    expect(await codeOf(readSpec(doc(), { maxExpandedBytes: 50 }))).toBe('spec_too_large');
  });

  it('reads a densely linked spec within the limits: every schema refers to every other', async () => {
    const schemas: Record<string, unknown> = {};
    const names = Array.from({ length: 30 }, (_, i) => `S${i}`);
    for (const name of names) {
      schemas[name] = { type: 'object', properties: Object.fromEntries(names.map((other) => [other.toLowerCase(), { $ref: `#/components/schemas/${other}` }])) };
    }
    const body = { content: { 'application/json': { schema: { $ref: '#/components/schemas/S0' } } } };
    const spec = await readSpec(minimal({ paths: { '/a': { post: { requestBody: body, responses: { '200': { description: 'ok' } } } } }, components: { schemas } }));
    const view = resolveOperation(spec.document, spec.endpoints[0]).operation as any;
    // Recursion is followed once more, then cut: S0 -> S1 -> marker.
    const s1 = view.requestBody.content['application/json'].schema.properties.s1;
    expect(s1.properties.s2['x-spectest-recursive-ref']).toBe('#/components/schemas/S2');
    expect(spec.warnings.join('\n')).toContain('10 more recursive schemas were cut the same way');
  });

  it('refuses a reference bomb (each level refers twice to the next) that an operation reaches, reads it when none does', async () => {
    const bomb: Record<string, unknown> = { l30: { type: 'string' } };
    for (let i = 29; i >= 0; i--) bomb[`l${i}`] = { type: 'object', properties: { a: { $ref: `#/x-bomb/l${i + 1}` }, b: { $ref: `#/x-bomb/l${i + 1}` } } };
    const body = { content: { 'application/json': { schema: { $ref: '#/x-bomb/l0' } } } };
    const reached = minimal({ 'x-bomb': bomb, paths: { '/a': { post: { requestBody: body, responses: { '200': { description: 'ok' } } } } } });
    const error = (await readSpec(reached).catch((e) => e)) as AppError;
    expect(error.code).toBe('spec_too_large');
    expect(error.message).toContain('POST /a');
    await expect(readSpec(minimal({ 'x-bomb': bomb }))).resolves.toMatchObject({ warnings: [] });
  });

  it('reads the same bomb made of named schemas: the view of the operation is expanded less deep', async () => {
    const schemas: Record<string, unknown> = { L30: { type: 'string' } };
    for (let i = 29; i >= 0; i--) schemas[`L${i}`] = { type: 'object', properties: { a: { $ref: `#/components/schemas/L${i + 1}` }, b: { $ref: `#/components/schemas/L${i + 1}` } } };
    const body = { content: { 'application/json': { schema: { $ref: '#/components/schemas/L0' } } } };
    const spec = await readSpec(minimal({ components: { schemas }, paths: { '/a': { post: { requestBody: body, responses: { '200': { description: 'ok' } } } } } }), { maxExpandedNodes: 100 });
    expect(spec.warnings).toEqual([expect.stringContaining('1 operation(s) expand named schemas less deep than 8 (e.g. POST /a: 5)')]);
    let schema = (resolveOperation(spec.document, spec.endpoints[0]).operation as any).requestBody.content['application/json'].schema;
    let depth = 0;
    while (schema.properties) [schema, depth] = [schema.properties.a, depth + 1];
    expect(schema['x-spectest-recursive-ref']).toBe(`#/components/schemas/L${depth}`);
    expect(depth).toBe(5);
  });

  it('refuses text over maxBytes as spec_too_large, before parsing', async () => {
    const text = JSON.stringify(minimal({ 'x-pad': 'x'.repeat(2000) }));
    expect(await codeOf(readSpec(text, { maxBytes: 1000 }))).toBe('spec_too_large');
    expect(await codeOf(readSpec(Buffer.from(text), { maxBytes: 1000 }))).toBe('spec_too_large');
    expect(await codeOf(readSpec(JSON.parse(text), { maxBytes: 1000 }))).toBe('spec_too_large');
  });

  it('refuses nesting over maxDepth as spec_too_deep, for text and objects', async () => {
    let deep: unknown = 'bottom';
    for (let i = 0; i < 50; i++) deep = { d: deep };
    const doc = minimal({ 'x-deep': deep });
    expect(await codeOf(readSpec(doc, { maxDepth: 40 }))).toBe('spec_too_deep');
    expect(await codeOf(readSpec(JSON.stringify(doc), { maxDepth: 40 }))).toBe('spec_too_deep');
    expect(await codeOf(readSpec(stringify(doc), { maxDepth: 40 }))).toBe('spec_too_deep');
    await expect(readSpec(doc, { maxDepth: 60 })).resolves.toBeDefined();
  });

  it('refuses pathologically deep JSON text without crashing', async () => {
    const text = '{"openapi":"3.0.3","x":' + '['.repeat(100_000) + ']'.repeat(100_000) + '}';
    expect(await codeOf(readSpec(text))).toBe('spec_too_deep');
  });

  it('refuses a YAML alias bomb as spec_too_large', async () => {
    expect(await codeOf(readSpec(await fixture('hostile/yaml-alias-bomb.yaml')))).toBe('spec_too_large');
  });

  it('honours maxAliases for a few harmless aliases', async () => {
    const text = ['openapi: 3.0.3', 'info: &i { title: A, version: "1" }', 'x-copy: *i', 'x-again: *i', 'paths: {}'].join('\n');
    await expect(readSpec(text)).resolves.toBeDefined();
    expect(await codeOf(readSpec(text, { maxAliases: 1 }))).toBe('spec_too_large');
  });

  it('refuses more operations than maxOperations as too_many_operations', async () => {
    const paths: Record<string, unknown> = {};
    for (let i = 0; i < 30; i++) paths[`/r${i}`] = { get: { responses: { '200': { description: 'ok' } } } };
    expect(await codeOf(readSpec(minimal({ paths }), { maxOperations: 29 }))).toBe('too_many_operations');
    await expect(readSpec(minimal({ paths }), { maxOperations: 30 })).resolves.toBeDefined();
  });
});
