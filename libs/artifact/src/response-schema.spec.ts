import { SHARED_SCHEMAS_ID, SharedSchemas, responseJsonSchema } from './response-schema';

describe('responseJsonSchema', () => {
  it('rewrites the OpenAPI 3.0 dialect into JSON Schema', () => {
    expect(
      responseJsonSchema({
        type: 'object',
        required: ['id', 'password', 'nullable'],
        example: { id: 1 },
        discriminator: { propertyName: 'kind' },
        properties: {
          id: { type: 'integer', minimum: 0, exclusiveMinimum: true, maximum: 10, exclusiveMaximum: false },
          password: { type: 'string', writeOnly: true },
          // A property may be called like a keyword: it stays a property.
          nullable: { type: 'string', nullable: true },
          tags: { type: 'array', items: { type: 'string', nullable: true, xml: { name: 't' } } },
        },
      }),
    ).toEqual({
      type: 'object',
      required: ['id', 'nullable'],
      properties: {
        id: { type: 'integer', exclusiveMinimum: 0, maximum: 10 },
        password: { type: 'string', writeOnly: true },
        nullable: { anyOf: [{ type: 'string' }, { type: 'null' }] },
        tags: { type: 'array', items: { anyOf: [{ type: 'string' }, { type: 'null' }] } },
      },
    });
  });

  it('leaves JSON Schema (OpenAPI 3.1) and enum/const values alone', () => {
    const schema = {
      type: ['object', 'null'],
      properties: { kind: { const: { nullable: true } }, n: { type: 'number', exclusiveMaximum: 5 } },
      oneOf: [{ required: ['kind'] }, { required: ['n'] }],
      enum: [{ example: 1 }, null],
    };
    expect(responseJsonSchema(schema)).toEqual(schema);
    expect(responseJsonSchema(null)).toBeNull();
  });
});

describe('SharedSchemas', () => {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Ajv2020 = require('ajv/dist/2020').default;
  const document = {
    components: {
      schemas: {
        Node: {
          type: 'object',
          required: ['name'],
          properties: { name: { type: 'string', nullable: true }, children: { type: 'array', items: { $ref: '#/components/schemas/Node' } } },
        },
        'Odd name/with~chars': { type: 'integer', minimum: 0, exclusiveMinimum: true },
        Unused: { type: 'boolean' },
      },
    },
  };

  it('converts each referenced target once, recursion included, and points the case schemas at it', () => {
    const shared = new SharedSchemas(document);
    const tree = shared.convert({ $ref: '#/components/schemas/Node' });
    const odd = shared.convert({ type: 'array', items: { $ref: '#/components/schemas/Odd name~1with~0chars' } });
    expect(tree).toEqual({ $ref: 'spectest-schemas.json#/$defs/%23~1components~1schemas~1Node' });
    const defs = shared.shared();
    expect(defs.$id).toBe(SHARED_SCHEMAS_ID);
    expect(Object.keys(defs.$defs)).toEqual(['#/components/schemas/Node', '#/components/schemas/Odd name~1with~0chars']);
    expect((defs.$defs['#/components/schemas/Node'] as any).properties.name).toEqual({ anyOf: [{ type: 'string' }, { type: 'null' }] });

    const ajv = new Ajv2020({ strict: false });
    ajv.addSchema(defs);
    const validTree = ajv.compile(tree);
    expect(validTree({ name: 'root', children: [{ name: null, children: [] }] })).toBe(true);
    expect(validTree({ name: 'root', children: [{ children: [] }] })).toBe(false);
    const validOdd = ajv.compile(odd);
    expect(validOdd([1, 2])).toBe(true);
    expect(validOdd([0])).toBe(false);
  });

  it('only rewrites references when it does not collect them', () => {
    const shared = new SharedSchemas(document, false);
    expect(shared.convert({ $ref: '#/components/schemas/Node' })).toEqual({ $ref: 'spectest-schemas.json#/$defs/%23~1components~1schemas~1Node' });
    expect(shared.shared().$defs).toEqual({});
  });
});
