import { AppError } from '@spectest/contracts';
import { DEFAULT_RECURSION_CUT, RECURSION_CUT_KEY, cutRecursion } from './recursion-cutter';

/** A dereferenced graph as swagger-parser leaves it: A -> B -> C -> D, each also under components. */
function chain(): Record<string, unknown> {
  const d = { type: 'string', description: 'leaf' };
  const c = { type: 'object', properties: { d } };
  const b = { type: 'object', properties: { c } };
  const a = { type: 'object', properties: { b } };
  return { openapi: '3.0.3', paths: { '/a': { get: { responses: { '200': { content: { 'application/json': { schema: a } } } } } } }, components: { schemas: { a, b, c, d } } };
}

describe('cutRecursion', () => {
  it('stops expanding named schemas nested past maxSchemaNesting, with a marker naming the schema and a warning', () => {
    const { document, warnings } = cutRecursion(chain(), { ...DEFAULT_RECURSION_CUT, maxSchemaNesting: 2 });
    const schema = (document as any).paths['/a'].get.responses['200'].content['application/json'].schema;
    expect(schema.properties.b.properties.c).toEqual({
      description: 'Reference to #/components/schemas/c, not expanded: 2 named schemas deep (cut here)',
      [RECURSION_CUT_KEY]: '#/components/schemas/c',
    });
    expect((document as any).components.schemas.c.properties.d).toEqual({ type: 'string' });
    expect((document as any).components.schemas.d).toEqual({ type: 'string', description: 'leaf' });
    expect(warnings).toEqual([`Named schemas nested more than 2 deep were not expanded further (marked ${RECURSION_CUT_KEY})`]);
  });

  it('expands everything within the default nesting, without warnings', () => {
    const { document, warnings } = cutRecursion(chain());
    expect(JSON.stringify(document)).not.toContain(RECURSION_CUT_KEY);
    expect(warnings).toEqual([]);
  });

  it('drops the prose of schemas expanded inside another named schema, never a description inside an example', () => {
    const graph = chain();
    const components = (graph as any).components.schemas;
    components.b.example = { c: { description: 'kept: data' } };
    components.b.description = 'about b';
    const { document } = cutRecursion(graph);
    const a = (document as any).components.schemas.a;
    expect(a.properties.b.description).toBeUndefined();
    expect(a.properties.b.example).toEqual({ c: { description: 'kept: data' } });
    expect((document as any).components.schemas.b.description).toBe('about b');
  });

  it('refuses a tree over maxBytes or maxNodes with spec_too_large', () => {
    const tooBig = () => cutRecursion(chain(), { ...DEFAULT_RECURSION_CUT, maxBytes: 100 });
    expect(tooBig).toThrow(AppError);
    expect(tooBig).toThrow(/over 0 MiB of JSON/);
    expect(() => cutRecursion(chain(), { ...DEFAULT_RECURSION_CUT, maxNodes: 5 })).toThrow(expect.objectContaining({ code: 'spec_too_large' }));
  });
});
