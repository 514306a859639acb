import { z } from 'zod';
import { TestCaseSchema } from '@spectest/contracts';

/** The format of cases.json, from the same zod schema the stages use, so the two cannot drift apart. */
const CasesFileSchema = z
  .object({
    $schema: z.string().optional(),
    title: z.string(),
    version: z.string(),
    caseCount: z.number().int().min(0),
    cases: z.array(TestCaseSchema),
  })
  .describe('cases.json of a spectest artifact: every generated test case, machine readable.');

let cached: Record<string, unknown> | null = null;

export function casesJsonSchema(): Record<string, unknown> {
  cached ??= { ...z.toJSONSchema(CasesFileSchema, { target: 'draft-2020-12', io: 'output' }), title: 'spectest cases.json' };
  return cached;
}
