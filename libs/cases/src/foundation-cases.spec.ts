import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ParsedSpec, TestCaseSchema } from '@spectest/contracts';
import { readSpec, stopSpecValidator } from '@spectest/openapi';
import { buildFoundationCases } from './index';

// The first read of a file starts the validator worker, which loads swagger-parser: slow on a busy machine.
jest.setTimeout(30_000);
afterAll(() => stopSpecValidator());

const FIXTURES = join(__dirname, '../../../tests/fixtures');

const allCases = (spec: ParsedSpec, seed?: number) => spec.endpoints.flatMap((e) => buildFoundationCases(spec, e, { seed }));

describe('buildFoundationCases', () => {
  let petstore: ParsedSpec;
  let bookstore: ParsedSpec;

  beforeAll(async () => {
    petstore = await readSpec(await readFile(join(FIXTURES, 'petstore.yaml')));
    bookstore = await readSpec(await readFile(join(FIXTURES, 'bookstore.openapi31.yaml')));
  });

  it('produces contract-valid cases with unique ids and a reason each', () => {
    const cases = allCases(bookstore);
    for (const testCase of cases) {
      expect(TestCaseSchema.parse(testCase)).toEqual(testCase);
      expect(testCase.reason.length).toBeGreaterThan(20);
    }
    expect(new Set(cases.map((c) => c.id)).size).toBe(cases.length);
    expect(cases.filter((c) => c.kind === 'positive')).toHaveLength(37);
  });

  it('is deterministic: same input, same cases and ids, on a fresh parse too', async () => {
    const again = await readSpec(await readFile(join(FIXTURES, 'bookstore.openapi31.yaml')));
    expect(JSON.stringify(allCases(again))).toBe(JSON.stringify(allCases(bookstore)));
  });

  it('petstore: positive cases expect the lowest documented 2xx and its schema', () => {
    const [listPositive] = buildFoundationCases(petstore, petstore.endpoints[0]);
    expect(listPositive.expect).toMatchObject({ status: 200, statusClass: '2xx' });
    // Response schemas stay references into the document (which the artifact ships), not copies.
    expect(listPositive.expect.responseSchema).toEqual({ $ref: '#/components/schemas/Pets' });
    const [createPositive] = buildFoundationCases(petstore, petstore.endpoints[1]);
    expect(createPositive.expect).toEqual({ status: 201, statusClass: '2xx', responseSchema: null });
    expect(createPositive.request).toMatchObject({ contentType: 'application/json', body: { id: 0, name: 'string' } });
  });

  it('uses documented examples before samples', () => {
    const [showPet] = buildFoundationCases(petstore, petstore.endpoints[2]);
    expect(showPet.request.pathParams).toEqual({ petId: '1' });
    const review = bookstore.endpoints.find((e) => e.operationId === 'createReview')!;
    expect(buildFoundationCases(bookstore, review)[0].request.body).toEqual({ rating: 5, body: 'Loved it' });
  });

  it('negative cases expect any 4xx: wrong type, out of range, missing field, unknown content type', () => {
    const negatives = allCases(petstore).filter((c) => c.kind !== 'positive');
    expect(negatives.map((c) => c.id)).toEqual([
      'get-pets-9425.wrong_type.query.limit',
      'get-pets-9425.out_of_range.query.limit.maximum',
      'post-pets-213d.missing_required_field.body.id',
      'post-pets-213d.missing_required_field.body.name',
      'post-pets-213d.wrong_type.body.id',
      'post-pets-213d.unsupported_content_type.content-type',
    ]);
    expect(negatives[1].request.query).toEqual({ limit: 101 });
    for (const c of negatives) expect(c.expect).toMatchObject({ status: null, statusClass: '4xx' });
    expect(negatives[0].request.query).toEqual({ limit: 'not-a-number' });
  });

  it('merges path-level and operation-level parameters; path parameters are never omitted', () => {
    const deleteBook = bookstore.endpoints.find((e) => e.operationId === 'deleteBook')!;
    const cases = buildFoundationCases(bookstore, deleteBook);
    expect(Object.keys(cases[0].request.pathParams)).toEqual(['bookId']);
    expect(Object.keys(cases[0].request.headers)).toEqual(['If-Match']);
    expect(cases.map((c) => c.kind)).toEqual(['positive', 'missing_required_param', 'missing_auth']);
    expect(cases[1].request.headers).toEqual({});
    expect(cases[1].request.pathParams).toEqual(cases[0].request.pathParams);
  });

  it('sends a wrong-typed path parameter only when its type can be told apart from a string', () => {
    const deleteReview = bookstore.endpoints.find((e) => e.operationId === 'deleteReview')!;
    const wrong = buildFoundationCases(bookstore, deleteReview).filter((c) => c.kind === 'wrong_type');
    expect(wrong.map((c) => c.id)).toEqual([expect.stringMatching(/wrong_type\.path\.reviewId$/)]);
  });

  it('expects the 2xx class without a status when only `default` is documented', async () => {
    const spec = await readSpec({
      openapi: '3.0.3',
      info: { title: 'D', version: '1' },
      paths: { '/d': { get: { responses: { default: { description: 'anything' } } } } },
    });
    expect(buildFoundationCases(spec, spec.endpoints[0])[0].expect).toEqual({ status: null, statusClass: '2xx', responseSchema: null });
  });

  it('never expects a 1xx answer (a 101 upgrade is not a final response fetch can see)', async () => {
    const spec = await readSpec({
      openapi: '3.0.3',
      info: { title: 'U', version: '1' },
      paths: {
        '/ws': { get: { responses: { '101': { description: 'switching' } } } },
        '/session': { post: { responses: { '101': { description: 'hijacked' }, '400': { description: 'bad' } } } },
      },
    });
    const expects = spec.endpoints.map((e) => buildFoundationCases(spec, e)[0].expect);
    for (const e of expects) expect(TestCaseSchema.shape.expect.parse(e)).toEqual(e);
    expect(expects).toEqual([
      { status: null, statusClass: '2xx', responseSchema: null },
      { status: 400, statusClass: '4xx', responseSchema: null },
    ]);
  });

  it('lets the seed pick among named examples, deterministically', async () => {
    const spec = await readSpec({
      openapi: '3.0.3',
      info: { title: 'E', version: '1' },
      paths: {
        '/e': {
          get: {
            parameters: [{ name: 'q', in: 'query', required: true, schema: { type: 'string' }, examples: { a: { value: 'one' }, b: { value: 'two' } } }],
            responses: { '200': { description: 'ok' } },
          },
        },
      },
    });
    const q = (seed: number) => buildFoundationCases(spec, spec.endpoints[0], { seed })[0].request.query.q;
    expect([q(0), q(1), q(2), q(1)]).toEqual(['one', 'two', 'one', 'two']);
  });
});
