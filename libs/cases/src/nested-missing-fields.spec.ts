import { TestCase } from '@spectest/contracts';
import { readSpec, stopSpecValidator } from '@spectest/openapi';
import { buildFoundationCases } from './index';
import { MAX_NESTED_MISSING_FIELD_CASES } from './negative-cases';

jest.setTimeout(30_000);
afterAll(() => stopSpecValidator());

const info = { title: 'N', version: '1' };

async function missingFieldCases(bodySchema: Record<string, unknown>, components: Record<string, unknown> = {}): Promise<TestCase[]> {
  const spec = await readSpec({
    openapi: '3.0.3',
    info,
    paths: {
      '/orders': {
        post: {
          requestBody: { required: true, content: { 'application/json': { schema: bodySchema } } },
          responses: { '201': { description: 'created' }, '400': { description: 'bad' } },
        },
      },
    },
    components,
  });
  return spec.endpoints.flatMap((e) => buildFoundationCases(spec, e)).filter((c) => c.kind === 'missing_required_field');
}

const targets = (cases: TestCase[]) => cases.map((c) => c.id.split('.').slice(2).join('.'));

describe('missing required fields of nested objects', () => {
  it('leaves out required fields of nested objects, naming the JSON path; keeps the rest of the body', async () => {
    const cases = await missingFieldCases(
      {
        type: 'object',
        required: ['name'],
        properties: { name: { type: 'string' }, address: { $ref: '#/components/schemas/Address' } },
      },
      {
        schemas: {
          Address: {
            allOf: [
              { type: 'object', required: ['street'], properties: { street: { type: 'string' } } },
              {
                type: 'object',
                required: ['city', 'geo'],
                properties: {
                  city: { type: 'string' },
                  geo: { type: 'object', required: ['lat'], properties: { lat: { type: 'number' }, lng: { type: 'number' } } },
                },
              },
            ],
          },
        },
      },
    );
    expect(targets(cases)).toEqual(['body.name', 'body.address.street', 'body.address.city', 'body.address.geo', 'body.address.geo.lat']);
    const street = cases[1];
    expect(street.title).toContain('body.address.street');
    expect(street.reason).toContain('body.address.street');
    expect(street.reason).toContain('body.address');
    const body = street.request.body as { name: string; address: Record<string, unknown> };
    expect(Object.keys(body.address).sort()).toEqual(['city', 'geo']);
    expect(body.name).toBeDefined();
    const lat = cases[4].request.body as { address: { street: string; geo: Record<string, unknown> } };
    expect(lat.address.geo).not.toHaveProperty('lat');
    expect(lat.address.geo).toHaveProperty('lng');
    expect(lat.address.street).toBeDefined();
    expect(cases[0].title).toContain('"name"');
  });

  it('skips readOnly fields and objects, objects under oneOf/anyOf, arrays and objects the body does not send', async () => {
    const cases = await missingFieldCases({
      type: 'object',
      properties: {
        audit: { type: 'object', readOnly: true, required: ['by'], properties: { by: { type: 'string' } } },
        meta: { type: 'object', required: ['id', 'tag'], properties: { id: { type: 'string', readOnly: true }, tag: { type: 'string' } } },
        payment: {
          type: 'object',
          required: ['amount'],
          properties: { amount: { type: 'number' } },
          oneOf: [
            { type: 'object', required: ['iban'], properties: { iban: { type: 'string' } } },
            { type: 'object', required: ['card'], properties: { card: { type: 'string' } } },
          ],
        },
        choice: { anyOf: [{ type: 'object', required: ['a'], properties: { a: { type: 'string' } } }] },
        lines: { type: 'array', items: { type: 'object', required: ['sku'], properties: { sku: { type: 'string' } } } },
      },
    });
    expect(targets(cases)).toEqual(['body.meta.tag']);
  });

  it(`makes at most ${MAX_NESTED_MISSING_FIELD_CASES} nested cases per operation, shallowest first, the same ones every time`, async () => {
    const leaf = (names: string[]) => ({
      type: 'object',
      required: names,
      properties: Object.fromEntries(names.map((n) => [n, { type: 'string' }])),
    });
    const schema = {
      type: 'object',
      required: ['top'],
      properties: {
        top: { type: 'string' },
        a: { ...leaf(['a1', 'a2']), properties: { ...leaf(['a1', 'a2']).properties, deep: leaf(['d1']) } },
        b: leaf(['b1', 'b2', 'b3']),
      },
    };
    const first = await missingFieldCases(schema);
    expect(targets(first)).toEqual(['body.top', 'body.a.a1', 'body.a.a2', 'body.b.b1', 'body.b.b2', 'body.b.b3']);
    expect(first.filter((c) => c.id.split('.').length > 4)).toHaveLength(MAX_NESTED_MISSING_FIELD_CASES);
    expect((await missingFieldCases(schema)).map((c) => c.id)).toEqual(first.map((c) => c.id));
  });
});
