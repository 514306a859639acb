import { join } from 'node:path';
import { stopSpecValidator } from '@spectest/openapi';
import { OracleCase, OracleRun, oracleSummary, runOracle } from './oracle-run';

jest.setTimeout(180_000);

const FIXTURES = join(__dirname, '../fixtures');

/**
 * The oracle: Prism, a mock server that validates requests against the spec, stands in for an API that
 * follows the spec to the letter. Every case cases.json marks judgeable must pass against it in both
 * runners (a positive request the spec accepts and answers as documented, a negative one it refuses
 * with a 4xx), and every case marked not judgeable must indeed be one the mock gets "wrong", so the marks
 * are neither too generous nor too cautious.
 */
describe.each([
  ['petstore (OpenAPI 3.0)', 'petstore.yaml'],
  ['bookstore (OpenAPI 3.1)', 'bookstore.openapi31.yaml'],
  ['warehouse (Swagger 2.0)', 'oracle/warehouse.swagger2.yaml'],
  ['clinic (OpenAPI 3.1)', 'oracle/clinic.openapi31.yaml'],
])('generated suites against Prism: %s', (name, fixture) => {
  let run: OracleRun;

  beforeAll(async () => {
    run = await runOracle(join(FIXTURES, fixture));
    console.log(oracleSummary(name, run));
  });

  afterAll(() => stopSpecValidator());

  const describeFailure = (c: OracleCase) => ({ id: c.testCase.id, node: c.nodeFailure, newman: c.newmanFailure });

  it('marks every case, with a reason when a mock cannot judge it', () => {
    expect(run.cases.length).toBeGreaterThan(0);
    expect(run.cases.filter((c) => c.testCase.mockJudgement === undefined || (c.testCase.mockJudgement.judgeable === false && !c.testCase.mockJudgement.reason))).toEqual([]);
    expect(new Set(run.cases.map((c) => c.testCase.title)).size).toBe(run.cases.length);
  });

  it('passes every judgeable case in node:test and newman', () => {
    const judgeable = run.cases.filter((c) => c.testCase.mockJudgement?.judgeable);
    expect(judgeable.filter((c) => c.testCase.kind === 'positive').length).toBeGreaterThan(0);
    expect(judgeable.filter((c) => c.nodeFailure || c.newmanFailure).map(describeFailure)).toEqual([]);
    expect(run.newman.executed).toBe(run.cases.length);
    expect(run.nodeTest.pass + run.nodeTest.fail).toBe(run.cases.length);
  });

  it('fails, in both runners, every case it marks as beyond a mock', () => {
    const marked = run.cases.filter((c) => c.testCase.mockJudgement?.judgeable === false);
    expect(marked.filter((c) => !c.nodeFailure || !c.newmanFailure).map((c) => ({ id: c.testCase.id, code: c.testCase.mockJudgement?.code }))).toEqual([]);
  });
});
