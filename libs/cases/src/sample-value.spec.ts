import Ajv from 'ajv';
import addFormats from 'ajv-formats';
import { chooseValue, sampleSchema } from './sample-value';
import { constraintBreaks } from './constraint-values';

const ajv = new Ajv({ strict: false, allErrors: true });
addFormats(ajv);

/** Patterns as specs write them: anchored or not, classes, groups, alternation, escapes, backreferences, with and without length limits. */
const PATTERN_SCHEMAS: Record<string, unknown>[] = [
  { type: 'string', pattern: '^[A-Z]{2}$' },
  { type: 'string', pattern: '[A-Z]{2}' },
  { type: 'string', pattern: '^\\d{3}$' },
  { type: 'string', pattern: '\\d{3}' },
  { type: 'string', pattern: '^[a-z]{2,12}$', minLength: 5 },
  { type: 'string', pattern: '^[a-z]+$', minLength: 20, maxLength: 20 },
  { type: 'string', pattern: '^TRK[0-9]{8}$' },
  { type: 'string', pattern: '^(a|b)+$', minLength: 3 },
  { type: 'string', pattern: '^\\w+@\\w+\\.com$' },
  { type: 'string', pattern: '^[^\\s]+$' },
  { type: 'string', pattern: '^(\\d)\\1$' },
  { type: 'string', pattern: '^[A-Z][a-z]+(?: [A-Z][a-z]+)*$' },
  { type: 'string', pattern: '\\+\\d{2} \\d{4}', minLength: 12 },
  { type: 'string', pattern: 'abc', minLength: 8, maxLength: 10 },
  { type: 'string', pattern: '^.{3,}$', maxLength: 4 },
  { type: 'string', pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$', format: 'uuid' },
  { type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$', format: 'date' },
  { type: 'string', pattern: '^[A-Z]{3}-[0-9]{4}$', maxLength: 8 },
  { type: 'string', pattern: '^(?:\\+?1[-. ]?)?\\(?([0-9]{3})\\)?[-. ]?([0-9]{3})[-. ]?([0-9]{4})$' },
  { type: 'string', pattern: '^[a-zA-Z0-9_.-]*$', minLength: 1 },
  { type: 'string', pattern: '^/[a-z/]*$' },
  { type: ['string', 'null'], pattern: '^x{2}y?$' },
];

describe('sampleSchema: generated strings match their pattern', () => {
  it.each(PATTERN_SCHEMAS.map((schema) => [JSON.stringify(schema), schema]))('%s', (_name, schema) => {
    const { value, unmetPatterns } = sampleSchema(schema);
    expect(unmetPatterns).toEqual([]);
    expect(ajv.validate(schema, value)).toBe(true);
  });

  it('reaches patterns in properties, items, allOf and the first oneOf branch, and leaves examples alone', () => {
    const schema = {
      type: 'object',
      required: ['code', 'lines', 'nested', 'kept'],
      properties: {
        code: { type: 'string', pattern: '^R-\\d{3}$' },
        lines: { type: 'array', minItems: 2, items: { type: 'object', properties: { sku: { type: 'string', pattern: '^[A-Z]{3}-\\d{4}$' } } } },
        nested: { allOf: [{ type: 'object', properties: { zip: { type: 'string', pattern: '^\\d{5}$' } } }] },
        choice: { oneOf: [{ type: 'string', pattern: '^Z\\d$' }, { type: 'integer' }] },
        kept: { type: 'string', pattern: '^\\d+$', example: 'documented' },
      },
    };
    const { value, unmetPatterns } = sampleSchema(schema);
    expect(unmetPatterns).toEqual([]);
    const sample = value as Record<string, unknown>;
    expect(sample.kept).toBe('documented');
    expect(ajv.validate({ ...schema, properties: { ...schema.properties, kept: { type: 'string' } } }, value)).toBe(true);
    expect(sample.choice).toMatch(/^Z\d$/);
  });

  it('is deterministic: the same schema gives the same value', () => {
    const schema = { type: 'string', pattern: '^[a-z]{4,9}-\\d+$', minLength: 9 };
    expect(sampleSchema(schema).value).toBe(sampleSchema({ ...schema }).value);
  });

  it('keeps the plain sample and names the pattern when none can be generated', () => {
    const impossible = { type: 'string', pattern: '^[a-z]{10}$', maxLength: 3 };
    expect(sampleSchema(impossible).unmetPatterns).toEqual(['^[a-z]{10}$']);
    const lookahead = { type: 'object', properties: { p: { type: 'string', pattern: '^(?!a)a$' } } };
    const chosen = chooseValue({}, lookahead, 0);
    expect(chosen.origin).toBe('sample');
    expect(chosen.unmetPatterns).toEqual(['^(?!a)a$']);
  });

  it('does not report a pattern the sample cannot reach (a readOnly field, which is not sent)', () => {
    expect(sampleSchema({ type: 'object', properties: { id: { type: 'string', readOnly: true, pattern: '^(?=x)y$' } } }).unmetPatterns).toEqual([]);
  });
});

describe('pattern_mismatch values break the pattern and nothing else', () => {
  it.each(PATTERN_SCHEMAS.map((schema) => [JSON.stringify(schema), schema]))('%s', (_name, schema) => {
    const broken = constraintBreaks(schema).find((b) => b.kind === 'pattern_mismatch');
    if (!broken) return expect(constraintBreaks(schema).map((b) => b.kind)).not.toContain('pattern_mismatch');
    expect(ajv.validate(schema, broken.value)).toBe(false);
    expect(ajv.errors!.map((e) => e.keyword)).toEqual(['pattern']);
  });

  it('has a mismatch for each pattern but one that says what its format says (a date that breaks it is no date)', () => {
    const missing = PATTERN_SCHEMAS.filter((schema) => !constraintBreaks(schema).some((b) => b.kind === 'pattern_mismatch'));
    expect(missing).toEqual([{ type: 'string', pattern: '^\\d{4}-\\d{2}-\\d{2}$', format: 'date' }]);
  });
});
