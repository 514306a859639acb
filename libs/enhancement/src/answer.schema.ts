import { z } from 'zod';

const Scalar = z.union([z.string(), z.number(), z.boolean()]);

/**
 * One case as the model writes it. Lenient where a default is harmless (empty maps, a missing reason),
 * strict where a wrong value would make a broken test.
 */
export const ModelCaseSchema = z.object({
  title: z.string().trim().min(1).max(200),
  reason: z.string().trim().max(1000).default(''),
  request: z.object({
    method: z.string().optional(),
    path: z.string().optional(),
    pathParams: z.record(z.string(), Scalar).default({}),
    query: z.record(z.string(), z.union([Scalar, z.array(Scalar)])).default({}),
    headers: z.record(z.string(), z.string()).default({}),
    contentType: z.string().nullable().optional(),
    body: z.unknown().optional(),
  }),
  expect: z.object({ status: z.number().int().min(100).max(599) }),
});
export type ModelCase = z.infer<typeof ModelCaseSchema>;

const scalarSchema = { type: ['string', 'number', 'boolean'] };

/** JSON Schema of the answer, sent as Ollama `format` / OpenAI `response_format` so the model is held to it. */
export function answerJsonSchema(maxCases: number): object {
  return {
    type: 'object',
    required: ['cases'],
    properties: {
      cases: {
        type: 'array',
        maxItems: maxCases,
        items: {
          type: 'object',
          required: ['title', 'reason', 'request', 'expect'],
          properties: {
            title: { type: 'string' },
            reason: { type: 'string' },
            request: {
              type: 'object',
              required: ['method', 'path', 'pathParams', 'query', 'headers'],
              properties: {
                method: { type: 'string' },
                path: { type: 'string' },
                pathParams: { type: 'object', additionalProperties: scalarSchema },
                query: { type: 'object', additionalProperties: { anyOf: [scalarSchema, { type: 'array', items: scalarSchema }] } },
                headers: { type: 'object', additionalProperties: { type: 'string' } },
                contentType: { type: ['string', 'null'] },
                body: {},
              },
            },
            expect: {
              type: 'object',
              required: ['status'],
              properties: { status: { type: 'integer', minimum: 100, maximum: 599 } },
            },
          },
        },
      },
    },
  };
}
