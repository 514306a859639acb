import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { EndpointSchema, ParsedSpec } from '@spectest/contracts';
import { filterEndpoints, readSpec, resolveOperation, stopSpecValidator } from './index';
import { groupName } from './endpoint-lister';

// The first read of a file starts the validator worker, which loads swagger-parser: slow on a busy machine.
jest.setTimeout(30_000);
afterAll(() => stopSpecValidator());

const FIXTURES = join(__dirname, '../../../tests/fixtures');

describe('endpoint listing of the 37-operation bookstore (OpenAPI 3.1)', () => {
  let spec: ParsedSpec;

  beforeAll(async () => {
    spec = await readSpec(await readFile(join(FIXTURES, 'bookstore.openapi31.yaml')));
  });

  it('lists every operation once, in document order, in the contract shape', () => {
    expect(spec.endpoints).toHaveLength(37);
    for (const endpoint of spec.endpoints) expect(EndpointSchema.parse(endpoint)).toEqual(endpoint);
    expect(new Set(spec.endpoints.map((e) => e.key)).size).toBe(37);
    expect(spec.endpoints.slice(0, 4).map((e) => e.key)).toEqual(['GET /health', 'GET /books', 'POST /books', 'GET /books/{bookId}']);
  });

  it('keys are "METHOD /path" with an upper-case method; methods stay lower-case', () => {
    const del = spec.endpoints.find((e) => e.operationId === 'deleteReview')!;
    expect(del).toMatchObject({ key: 'DELETE /books/{bookId}/reviews/{reviewId}', method: 'delete', tags: ['Reviews'] });
  });

  it('groups by first tag, else first path segment, as safe file names', () => {
    const groups = Object.fromEntries(spec.endpoints.map((e) => [e.operationId, e.group]));
    expect(groups).toMatchObject({ getHealth: 'health', listBooks: 'books', listAuthorBooks: 'authors', getStockLevel: 'inventory' });
    expect(groupName('Pets & Owners / v2', '/x')).toBe('pets-owners-v2');
    expect(groupName(undefined, '/{tenant}/items')).toBe('tenant');
    expect(groupName(undefined, '/')).toBe('root');
    expect(groupName('../../etc', '/x')).toBe('etc');
  });

  it('keeps the $refs in the document and resolves chains in an operation view (requestBody -> schema -> schema)', () => {
    expect(JSON.stringify(spec.document)).toContain('"$ref"');
    const post = spec.endpoints.find((e) => e.key === 'POST /books')!;
    const book = resolveOperation(spec.document, post).operation as any;
    const schema = book.requestBody.content['application/json'].schema;
    expect(schema.required).toEqual(['title', 'isbn', 'authorIds', 'price']);
    expect(schema.properties.price.properties.currency.enum).toEqual(['EUR', 'USD', 'GBP']);
    expect(JSON.stringify(book.requestBody)).not.toContain('"$ref"');
  });

  describe('filterEndpoints', () => {
    it('keeps everything without a filter', () => {
      expect(filterEndpoints(spec.endpoints)).toHaveLength(37);
      expect(filterEndpoints(spec.endpoints, { tags: [], paths: [] })).toHaveLength(37);
    });

    it('filters by tag (any tag of the operation, case-insensitive)', () => {
      const keys = filterEndpoints(spec.endpoints, { tags: ['authors'] }).map((e) => e.key);
      expect(keys).toContain('GET /authors/{authorId}/books');
      expect(keys).toHaveLength(6);
    });

    it('filters by exact path or glob, and by both at once', () => {
      expect(filterEndpoints(spec.endpoints, { paths: ['/books'] }).map((e) => e.key)).toEqual(['GET /books', 'POST /books']);
      expect(filterEndpoints(spec.endpoints, { paths: ['/orders*'] })).toHaveLength(5);
      expect(filterEndpoints(spec.endpoints, { tags: ['Books'], paths: ['/authors/*'] }).map((e) => e.key)).toEqual([
        'GET /authors/{authorId}/books',
      ]);
    });
  });
});
