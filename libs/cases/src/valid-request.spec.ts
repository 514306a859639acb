import Ajv from 'ajv';
import { TestCase } from '@spectest/contracts';
import { readSpec, stopSpecValidator } from '@spectest/openapi';
import { buildFoundationCases } from './index';

jest.setTimeout(30_000);
afterAll(() => stopSpecValidator());

const document = {
  openapi: '3.0.3',
  info: { title: 'Styles', version: '1' },
  paths: {
    '/rooms/{wing}/{floor}': {
      get: {
        parameters: [
          { name: 'wing', in: 'path', required: true, style: 'label', schema: { type: 'string', pattern: '^[A-H]\\d$' } },
          { name: 'floor', in: 'path', required: true, style: 'matrix', schema: { type: 'integer', minimum: 0 } },
          {
            name: 'filter',
            in: 'query',
            required: true,
            style: 'deepObject',
            explode: true,
            schema: { type: 'object', required: ['color'], properties: { color: { type: 'string', pattern: '^[a-z]{3}-\\d$' }, size: { type: 'integer' } } },
          },
          { name: 'area', in: 'query', required: true, schema: { type: 'object', properties: { min: { type: 'integer' }, max: { type: 'integer' } } } },
          { name: 'code', in: 'query', required: true, schema: { type: 'string', pattern: '^R-\\d{3}$' } },
          { name: 'X-Size', in: 'header', required: true, explode: true, schema: { type: 'object', properties: { w: { type: 'integer' } } } },
          { name: 'view', in: 'cookie', required: true, explode: false, schema: { type: 'array', items: { type: 'string' }, minItems: 2 } },
        ],
        responses: { '200': { description: 'ok' } },
      },
    },
  },
};

describe('valid requests: parameter styles and patterns', () => {
  let cases: TestCase[];
  beforeAll(async () => {
    const spec = await readSpec(Buffer.from(JSON.stringify(document)));
    cases = spec.endpoints.flatMap((endpoint) => buildFoundationCases(spec, endpoint));
  });

  it('sends each parameter in its style, with values that match their patterns', () => {
    const positive = cases.find((c) => c.kind === 'positive')!;
    expect(positive.request.pathParams).toEqual({ wing: '.A0', floor: ';floor=0' });
    expect(positive.request.query).toEqual({ 'filter[color]': 'aaa-0', 'filter[size]': 0, min: 0, max: 0, code: 'R-000' });
    expect(positive.request.headers['X-Size']).toBe('w=0');
    expect(positive.request.headers.Cookie).toBe('view=string,string');
    expect(new Ajv().validate(document.paths['/rooms/{wing}/{floor}'].get.parameters[2].schema, { color: 'aaa-0' })).toBe(true);
  });

  it('leaves out every name a missing object parameter went out as', () => {
    const missing = cases.find((c) => c.id.endsWith('missing_required_param.query.filter'))!;
    expect(Object.keys(missing.request.query).sort()).toEqual(['code', 'max', 'min']);
    const missingArea = cases.find((c) => c.id.endsWith('missing_required_param.query.area'))!;
    expect(Object.keys(missingArea.request.query).sort()).toEqual(['code', 'filter[color]', 'filter[size]']);
  });

  it('breaks a styled path parameter in its style, and a pattern with a value that only breaks the pattern', () => {
    const wrongType = cases.find((c) => c.kind === 'wrong_type' && c.id.includes('path.floor'))!;
    expect(String(wrongType.request.pathParams.floor)).toMatch(/^;floor=/);
    const outOfRange = cases.find((c) => c.kind === 'out_of_range' && c.id.includes('path.floor'))!;
    expect(outOfRange.request.pathParams.floor).toBe(';floor=-1');
    const mismatch = cases.find((c) => c.kind === 'pattern_mismatch' && c.id.includes('query.code'))!;
    expect(String(mismatch.request.query.code)).not.toMatch(/^R-\d{3}$/);
    const label = cases.find((c) => c.kind === 'pattern_mismatch' && c.id.includes('path.wing'))!;
    expect(String(label.request.pathParams.wing).startsWith('.')).toBe(true);
  });
});
