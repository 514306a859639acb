import { DEFAULT_SPEC_LIMITS } from '@spectest/openapi';
import { promptOperation } from './prompt-operation';

/** POST /a with a body of named schemas nested L1 -> L2 -> ... -> L6. */
function nestedDocument(): Record<string, unknown> {
  const schemas: Record<string, unknown> = { L6: { type: 'string' } };
  for (let i = 1; i < 6; i++) schemas[`L${i}`] = { type: 'object', properties: { next: { $ref: `#/components/schemas/L${i + 1}` } } };
  return {
    openapi: '3.0.3',
    info: { title: 'nested', version: '1' },
    paths: {
      '/a': {
        parameters: [{ name: 'trace', in: 'header', schema: { type: 'string' } }],
        post: {
          requestBody: { content: { 'application/json': { schema: { $ref: '#/components/schemas/L1' } } } },
          responses: { '200': { description: 'ok' } },
        },
      },
    },
    components: { schemas },
  };
}

const endpoint = { key: 'POST /a', method: 'post', path: '/a' } as Parameters<typeof promptOperation>[1];

/** How many named schemas are expanded along body.next.next... before a marker or the end. */
function expandedDepth(operation: object): number {
  let node = (operation as any).requestBody.content['application/json'].schema;
  let depth = 0;
  while (node && node.type === 'object') {
    depth++;
    node = node.properties.next;
  }
  return depth;
}

describe('promptOperation', () => {
  it('expands the view as far as the given limits say, like the spec-parser', () => {
    expect(expandedDepth(promptOperation(nestedDocument(), endpoint, DEFAULT_SPEC_LIMITS))).toBe(5);
    const operation = promptOperation(nestedDocument(), endpoint, { ...DEFAULT_SPEC_LIMITS, maxSchemaNesting: 2 });
    expect(expandedDepth(operation)).toBe(2);
    expect(JSON.stringify(operation)).toContain('"x-spectest-recursive-ref":"#/components/schemas/L3"');
  });

  it('includes the path-level parameters', () => {
    expect((promptOperation(nestedDocument(), endpoint, {}) as { parameters: unknown[] }).parameters).toEqual([
      { name: 'trace', in: 'header', schema: { type: 'string' } },
    ]);
  });
});
