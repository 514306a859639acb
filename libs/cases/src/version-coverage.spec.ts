import { ParsedSpec, TestCase, TestCaseSchema } from '@spectest/contracts';
import { readSpec, stopSpecValidator } from '@spectest/openapi';
import { buildFoundationCases } from './index';
import { viewOperation } from './operation-view';

jest.setTimeout(30_000);
afterAll(() => stopSpecValidator());

/** One OpenAPI 3.1 document using the features that differ from 3.0, plus styles, path-level params, server variables. */
const document31 = {
  openapi: '3.1.0',
  info: { title: 'Coverage', version: '1' },
  servers: [{ url: 'https://{region}.api.example/{base}', variables: { region: { default: 'eu' }, base: { default: 'v1' } } }],
  paths: {
    '/zoos/{zooId}/animals': {
      parameters: [{ name: 'zooId', in: 'path', required: true, schema: { type: ['integer', 'null'], minimum: 1 } }],
      get: {
        parameters: [
          { name: 'ids', in: 'query', required: true, schema: { type: 'array', items: { type: 'integer' } }, example: [1, 2] },
          { name: 'tags', in: 'query', required: true, style: 'pipeDelimited', schema: { type: 'array', items: { type: 'string' } }, example: ['a', 'b'] },
          { name: 'kinds', in: 'query', required: true, explode: false, schema: { type: 'array', items: { type: 'string' } }, example: ['x', 'y'] },
        ],
        responses: { '200': { description: 'ok', content: { 'application/json': { schema: { type: 'array', items: { $ref: '#/components/schemas/Animal' } } } } } },
      },
      post: {
        requestBody: { required: true, content: { 'application/json': { schema: { $ref: '#/components/schemas/Animal' } } } },
        responses: { '201': { description: 'created' } },
      },
    },
  },
  components: {
    schemas: {
      Animal: {
        type: 'object',
        required: ['kind', 'name'],
        properties: {
          id: { type: 'integer', readOnly: true },
          kind: { const: 'cat' },
          name: { type: 'string', examples: ['Tom'] },
          secret: { type: 'string', writeOnly: true, maxLength: 4 },
          owner: { $ref: '#/components/schemas/Animal/$defs/Owner' },
        },
        $defs: { Owner: { type: 'object', properties: { age: { type: ['integer', 'null'], maximum: 120 } } } },
      },
      Pet: {
        oneOf: [{ $ref: '#/components/schemas/Animal' }, { type: 'object', properties: { kind: { const: 'dog' } } }],
        discriminator: { propertyName: 'kind' },
      },
    },
  },
};

describe('foundation cases over OpenAPI 3.1 features', () => {
  let spec: ParsedSpec;
  let cases: TestCase[];
  beforeAll(async () => {
    spec = await readSpec(document31);
    cases = spec.endpoints.flatMap((e) => buildFoundationCases(spec, e));
  });

  it('every case is contract-valid and its id unique', () => {
    for (const c of cases) expect(TestCaseSchema.parse(c)).toEqual(c);
    expect(new Set(cases.map((c) => c.id)).size).toBe(cases.length);
  });

  it('serialises query arrays by style: exploded form repeats, pipeDelimited and explode:false join', () => {
    const list = cases.find((c) => c.endpoint === 'GET /zoos/{zooId}/animals' && c.kind === 'positive')!;
    expect(list.request.query).toEqual({ ids: [1, 2], tags: 'a|b', kinds: 'x,y' });
  });

  it('uses path-level parameters: a nullable integer (type array) gets wrong-type and minimum cases', () => {
    const zoo = cases.filter((c) => c.endpoint === 'GET /zoos/{zooId}/animals' && c.id.includes('path.zooId'));
    expect(zoo.map((c) => c.kind).sort()).toEqual(['out_of_range', 'wrong_type']);
  });

  it('builds the body from const and 3.1 examples, leaves readOnly out, follows a $ref into $defs', () => {
    const create = cases.find((c) => c.endpoint === 'POST /zoos/{zooId}/animals' && c.kind === 'positive')!;
    const body = create.request.body as Record<string, unknown>;
    expect(body).toMatchObject({ kind: 'cat', name: 'Tom' });
    expect(body).not.toHaveProperty('id');
    const operation = spec.endpoints.find((e) => e.key === 'POST /zoos/{zooId}/animals')!;
    const owner = (viewOperation(spec.document, operation).requestBody!.media.schema as any).properties.owner;
    expect(owner.properties.age.maximum).toBe(120);
  });

  it('probes writeOnly fields but never readOnly ones', () => {
    const targets = cases.filter((c) => c.endpoint === 'POST /zoos/{zooId}/animals').map((c) => c.id.split('.').slice(1).join('.'));
    expect(targets).toContain('too_long.body.secret.maxLength');
    expect(targets.some((t) => t.includes('body.id'))).toBe(false);
  });

  it('keeps servers with variables and discriminators in the document it stores', () => {
    expect((spec.document as any).servers[0].variables.region.default).toBe('eu');
    expect((spec.document as any).components.schemas.Pet.discriminator).toEqual({ propertyName: 'kind' });
  });
});
