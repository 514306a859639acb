import { responseJsonSchema } from './response-schema';

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
