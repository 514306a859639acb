import { TestCaseSchema } from '@spectest/contracts';
import { OllamaProvider, enhanceEndpoints } from '@spectest/enhancement';
import type { StageUpdate } from '@spectest/enhancement';
import { CREATE_PET, FOUNDATION, GET_PET, OPERATIONS } from '../support/enhancement-petstore.fixture';

/**
 * Against a real Ollama: `OLLAMA_URL=http://127.0.0.1:11434 [OLLAMA_MODEL=llama3.2] npm run test:ollama`.
 * What a real model writes is not ours to predict, so this checks the pipeline's promises: the call streams,
 * the counters are the server's, every kept case fits the contract, and an endpoint without cases says why.
 */
const url = process.env.OLLAMA_URL;
const modelName = process.env.OLLAMA_MODEL ?? 'llama3.2';

beforeAll(async () => {
  if (!url) throw new Error('set OLLAMA_URL to a running Ollama (npm run test:ollama is opt-in)');
  const tags = (await (await fetch(`${url.replace(/\/+$/, '')}/api/tags`)).json()) as { models: { name: string }[] };
  const names = tags.models.map((m) => m.name);
  if (!names.some((n) => n === modelName || n === `${modelName}:latest`)) {
    throw new Error(`model ${modelName} is not pulled on ${url} (it has: ${names.join(', ') || 'none'}); run: ollama pull ${modelName}`);
  }
});

it(`enhances two petstore endpoints with ${modelName}: streamed, counted, validated`, async () => {
  const reports: StageUpdate[] = [];
  const out = await enhanceEndpoints({
    endpoints: [GET_PET, CREATE_PET],
    operationOf: (e) => OPERATIONS[e.key],
    foundationCases: FOUNDATION,
    provider: new OllamaProvider({ baseUrl: url!, model: modelName, timeoutMs: 300_000, idleTimeoutMs: 120_000 }),
    maxCasesPerEndpoint: 3,
    concurrency: 1,
    signal: new AbortController().signal,
    report: async (u) => {
      reports.push(u);
    },
  });
  console.log(JSON.stringify({ tokens: out.tokens, calls: out.calls, eta: out.eta, cases: out.cases.length, warnings: out.warnings }, null, 1));
  expect(out.tokens.prompt).toBeGreaterThan(0);
  expect(out.tokens.completion).toBeGreaterThan(0);
  expect(reports.filter((r) => r.messageKey === 'enhancing.tokens').length).toBeGreaterThanOrEqual(2);
  for (const c of out.cases) expect(TestCaseSchema.safeParse(c).success).toBe(true);
  // Each endpoint either merged cases or fell back with a reason.
  for (const e of [GET_PET, CREATE_PET]) {
    const last = reports.filter((r) => r.endpoint === e.key).at(-1)!;
    expect(['enhancing.merged', 'enhancing.fallback']).toContain(last.messageKey);
  }
  expect(out.cases.length + out.warnings.length).toBeGreaterThan(0);
});
