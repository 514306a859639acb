import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { TestCase } from '@spectest/contracts';
import { readSpec } from '@spectest/openapi';
import { buildFoundationCases } from '@spectest/cases';
import { buildArtifactFiles, zipArtifact } from '@spectest/artifact';
import { extractZip, failedTests, linkDependencies, runNodeTest } from '../support/generated-suite';
import { runNewman } from '../support/newman-run';
import { startPrismMock } from './prism-mock';

/** One case of the artifact as the oracle saw it: what cases.json says, and how each runner fared against the mock. */
export interface OracleCase {
  testCase: TestCase;
  nodeFailure: string | undefined;
  newmanFailure: string | undefined;
}

export interface OracleRun {
  cases: OracleCase[];
  nodeTest: { pass: number; fail: number };
  newman: { executed: number; failed: number };
  prismLog: string;
}

// Credentials of the right shape for each kind of scheme: Prism checks that they are there and well formed.
const CREDENTIALS: Record<string, string> = { bearer: 'oracle-token', basic: 'oracle:secret', header: 'oracle-key', query: 'oracle-key', cookie: 'oracle-key' };

/**
 * Generates the artifact of `specPath` as the stages do (foundation cases, then the ZIP), starts Prism
 * on the same spec, and runs the ZIP's node:test suite and its Postman collection (newman) against it.
 */
export async function runOracle(specPath: string): Promise<OracleRun> {
  const spec = await readSpec(await readFile(specPath));
  const generated = spec.endpoints.flatMap((endpoint) => buildFoundationCases(spec, endpoint));
  const files = buildArtifactFiles({ title: spec.title, version: spec.version, document: spec.document, cases: generated, report: { warnings: [], stageTimings: [] } });
  const workDir = await mkdtemp(join(tmpdir(), 'spectest-oracle-'));
  try {
    await extractZip(await zipArtifact(files), workDir);
    await linkDependencies(join(workDir, 'tests'));
    const casesFile = JSON.parse(await readFile(join(workDir, 'cases.json'), 'utf8')) as { cases: TestCase[] };
    const security = JSON.parse(await readFile(join(workDir, 'tests/support/security.json'), 'utf8')) as Record<string, { envVar: string; apply: string }>;
    const credentials = Object.fromEntries(Object.values(security).map((scheme) => [scheme.envVar, CREDENTIALS[scheme.apply]]));
    const collection = JSON.parse(await readFile(join(workDir, 'postman/collection.json'), 'utf8'));
    const environment = JSON.parse(await readFile(join(workDir, 'postman/environment.json'), 'utf8')) as { values: { key: string; value: string }[] };
    for (const variable of environment.values) if (credentials[variable.key]) variable.value = credentials[variable.key];

    const prism = await startPrismMock(specPath);
    try {
      const node = await runNodeTest(join(workDir, 'tests'), prism.url, [], credentials);
      const newman = await runNewman(collection, environment, prism.url);
      const nodeFailures = failedTests(node.output);
      return {
        cases: casesFile.cases.map((testCase) => ({
          testCase,
          nodeFailure: nodeFailures.get(testCase.title),
          newmanFailure: newman.failures.get(testCase.title),
        })),
        nodeTest: { pass: node.pass, fail: node.fail },
        newman: { executed: newman.executed, failed: newman.failures.size },
        prismLog: prism.log(),
      };
    } finally {
      await prism.close();
    }
  } finally {
    await rm(workDir, { recursive: true, force: true });
  }
}

/** The figures the oracle prints, per spec. */
export function oracleSummary(name: string, run: OracleRun): string {
  const count = (pick: (c: OracleCase) => boolean) => run.cases.filter(pick).length;
  const passed = (c: OracleCase) => !c.nodeFailure && !c.newmanFailure;
  const positive = (c: OracleCase) => c.testCase.kind === 'positive';
  const judgeable = (c: OracleCase) => c.testCase.mockJudgement?.judgeable === true;
  const byCode = new Map<string, number>();
  for (const c of run.cases) {
    if (c.testCase.mockJudgement?.judgeable === false) byCode.set(c.testCase.mockJudgement.code!, (byCode.get(c.testCase.mockJudgement.code!) ?? 0) + 1);
  }
  return [
    `${name}: ${run.cases.length} cases; node:test ${run.nodeTest.pass} passed / ${run.nodeTest.fail} failed; newman ${run.newman.executed - run.newman.failed}/${run.newman.executed} passed`,
    `  positive judgeable: ${count((c) => positive(c) && judgeable(c) && passed(c))}/${count((c) => positive(c) && judgeable(c))} passed in both runners`,
    `  negative judgeable: ${count((c) => !positive(c) && judgeable(c) && passed(c))}/${count((c) => !positive(c) && judgeable(c))} got their 4xx in both runners`,
    `  not judgeable by a mock: ${count((c) => !judgeable(c))} (${[...byCode].map(([code, n]) => `${code} ${n}`).join(', ') || 'none'}), failing against the mock: ${count((c) => !judgeable(c) && !passed(c))}`,
  ].join('\n');
}
