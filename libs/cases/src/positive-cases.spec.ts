import { ParsedSpec, TestCaseSchema } from '@spectest/contracts';
import { readSpec, stopSpecValidator } from '@spectest/openapi';
import { buildFoundationCases } from './index';

jest.setTimeout(30_000);
afterAll(() => stopSpecValidator());

const Pet = { type: 'object', required: ['name'], properties: { id: { type: 'integer' }, name: { type: 'string' } } };
const Job = { type: 'object', required: ['jobId'], properties: { jobId: { type: 'string' } } };

/** One operation that documents two 2xx, two response media types, two request media types and named examples. */
const SPEC = {
  openapi: '3.0.3',
  info: { title: 'Shelter', version: '1' },
  paths: {
    '/pets': {
      post: {
        operationId: 'createPet',
        requestBody: {
          required: true,
          content: {
            'application/json': {
              schema: Pet,
              examples: { cat: { value: { name: 'Tom' } }, dog: { value: { name: 'Rex' } }, 'the dog': { value: { name: 'Fido' } } },
            },
            'application/x-www-form-urlencoded': { schema: Pet },
            'application/xml': { schema: Pet },
          },
        },
        responses: {
          '202': { description: 'queued', content: { 'application/json': { schema: Job } } },
          '201': {
            description: 'created',
            content: { 'application/json': { schema: Pet }, 'application/xml': { schema: Pet } },
          },
          '400': { description: 'bad' },
        },
      },
    },
    '/pets/{id}': {
      delete: {
        operationId: 'deletePet',
        parameters: [{ name: 'id', in: 'path', required: true, schema: { type: 'integer' } }],
        responses: { '204': { description: 'gone' }, default: { description: 'error' } },
      },
    },
  },
};

describe('positive cases: one per documented success answer and per documented request', () => {
  let spec: ParsedSpec;
  beforeAll(async () => {
    spec = await readSpec(SPEC);
  });
  const positives = (seed = 0) => buildFoundationCases(spec, spec.endpoints[0], { seed }).filter((c) => c.kind === 'positive');

  it('makes a case per 2xx and per response media type, then per other named example and request media type', () => {
    const cases = positives();
    expect(cases.map((c) => c.id.replace(/^post-pets-[0-9a-f]{4}\./, ''))).toEqual([
      'positive',
      'positive.201.application-xml',
      'positive.202',
      'positive.example.dog',
      'positive.example.the-dog',
      'positive.request.application-x-www-form-urlencoded',
    ]);
    expect(cases.map((c) => c.title)).toEqual([
      'createPet (POST /pets): returns 201 Created as application/json for the "cat" example',
      'createPet (POST /pets): returns 201 Created as application/xml for the "cat" example',
      'createPet (POST /pets): returns 202 Accepted for the "cat" example',
      'createPet (POST /pets): returns 201 Created as application/json for the "dog" example',
      'createPet (POST /pets): returns 201 Created as application/json for the "the dog" example',
      'createPet (POST /pets): returns 201 Created as application/json for a application/x-www-form-urlencoded body',
    ]);
    for (const c of cases) expect(TestCaseSchema.parse(c)).toEqual(c);
  });

  it('accepts any documented 2xx and names the schema of each, aiming at one', () => {
    const [json, xml, accepted] = positives();
    expect(json.expect).toEqual({ status: null, statusClass: '2xx', responseSchema: Pet, responses: { '201': Pet, '202': Job } });
    expect(json.request.headers).toEqual({ accept: 'application/json' });
    expect(json.reason).toContain('documents 201 Created, 202 Accepted as success answers of POST /pets; this case aims at 201 Created as application/json.');
    // XML bodies cannot be checked by the runners: the case checks the status and says so.
    expect(xml.expect).toEqual({ status: null, statusClass: '2xx', responseSchema: null, responses: { '201': null, '202': Job } });
    expect(xml.request.headers).toEqual({ accept: 'application/xml' });
    expect(xml.reason).toContain('the application/xml body is not checked');
    expect(accepted.expect.responseSchema).toEqual(Job);
    expect(accepted.request.headers).toEqual({});
  });

  it('sends each named example and each request media type the runners can encode (not the XML one)', () => {
    const cases = positives();
    expect(cases.map((c) => [c.request.contentType, c.request.body])).toEqual([
      ['application/json', { name: 'Tom' }],
      ['application/json', { name: 'Tom' }],
      ['application/json', { name: 'Tom' }],
      ['application/json', { name: 'Rex' }],
      ['application/json', { name: 'Fido' }],
      ['application/x-www-form-urlencoded', { id: 0, name: 'string' }],
    ]);
  });

  it('is deterministic per seed: the seed picks the main example, the others keep their own ids', () => {
    expect(JSON.stringify(positives(1))).toBe(JSON.stringify(positives(1)));
    const bySeed = positives(1);
    expect(bySeed[0].request.body).toEqual({ name: 'Rex' });
    expect(bySeed.map((c) => c.id.replace(/^post-pets-[0-9a-f]{4}\./, '')).slice(3, 5)).toEqual(['positive.example.cat', 'positive.example.the-dog']);
  });

  it('keeps one exact expectation when one 2xx is documented, with its name in the title', () => {
    const [gone] = buildFoundationCases(spec, spec.endpoints[1]);
    expect(gone.title).toBe('deletePet (DELETE /pets/{id}): returns 204 No Content for a valid request');
    expect(gone.expect).toEqual({ status: 204, statusClass: '2xx', responseSchema: null });
    expect(gone.request.headers).toEqual({});
  });

  it('gives every case of a spec a unique id, numbering names an id cannot tell apart', async () => {
    const twin = structuredClone(SPEC) as any;
    twin.paths['/pets'].post.requestBody.content['application/json'].examples['the-dog'] = { value: { name: 'Max' } };
    const parsed = await readSpec(twin);
    const ids = parsed.endpoints.flatMap((e) => buildFoundationCases(parsed, e)).map((c) => c.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(ids.filter((id) => id.includes('example.the-dog'))).toHaveLength(2);
  });
});
