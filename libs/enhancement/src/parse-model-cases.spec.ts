import { TestCaseSchema } from '@spectest/contracts';
import { parseModelCases } from './parse-model-cases';
import { CREATE_PET, FOUNDATION, GET_PET, OPERATIONS } from '../../../tests/support/enhancement-petstore.fixture';

const getCase = (over: Record<string, any> = {}) => ({
  title: 'unknown pet id',
  reason: 'an id that does not exist must be 404',
  request: { method: 'GET', path: '/pets/{petId}', pathParams: { petId: 999999 }, query: {}, headers: {}, ...over.request },
  expect: { status: 404, ...over.expect },
  ...(over.title ? { title: over.title } : {}),
});

const parseGet = (text: string, max = 5) => parseModelCases(text, GET_PET, max, OPERATIONS[GET_PET.key], FOUNDATION);

describe('parseModelCases', () => {
  it('reads a fenced answer with prose around it into contract cases', () => {
    const text = `Here you go:\n\`\`\`json\n${JSON.stringify({ cases: [getCase(), getCase({ request: { query: { verbose: true }, headers: { 'x-trace': 'abc' } }, expect: { status: 200 } })] })}\n\`\`\`\nHope it helps!`;
    const r = parseGet(text);
    expect(r).toMatchObject({ dropped: 0, reasons: [] });
    expect(r.cases).toHaveLength(2);
    for (const c of r.cases) expect(TestCaseSchema.safeParse(c).success).toBe(true);
    expect(r.cases[0]).toMatchObject({
      endpoint: 'GET /pets/{petId}',
      group: 'pets',
      source: 'ai',
      kind: 'ai',
      request: { method: 'get', path: '/pets/{petId}', pathParams: { petId: 999999 }, contentType: null },
      // 404 is documented without content: no schema; 4XX would be the fallback only for an undocumented 4xx code.
      expect: { status: 404, statusClass: '4xx', responseSchema: null },
    });
    expect(r.cases[1].expect.responseSchema).toEqual(expect.objectContaining({ required: ['name'] }));
  });

  it('repairs the usual breakage: trailing commas, single quotes, unquoted keys, comments, an answer cut short', () => {
    const one = JSON.stringify(getCase());
    expect(parseGet(`{"cases": [${one},],}`).cases).toHaveLength(1);
    expect(parseGet(`{cases: [${one.replace(/"/g, "'")}]}`).cases).toHaveLength(1);
    expect(parseGet(`\`\`\`json\n// two cases\n{"cases": [${one}, ${JSON.stringify(getCase({ expect: { status: 400 } }))}]}\n\`\`\``).cases).toHaveLength(2);
    // Cut off inside the second case: the complete first one is kept, the fragment never becomes a case.
    const cut = parseGet(`{"cases": [${one}, {"title": "second", "request": {"pathParams": {"petId": 1`);
    expect(cut.cases).toHaveLength(1);
    expect(cut.cases[0].title).toBe('unknown pet id');
    // Cut off inside the first: nothing complete, so nothing kept.
    expect(parseGet(`{"cases": [{"title": "only", "request": {"pathParams"`).cases).toEqual([]);
  });

  it('gives stable ids: the same case gets the same id, another case another', () => {
    const text = JSON.stringify({ cases: [getCase()] });
    const a = parseGet(text).cases[0].id;
    expect(parseGet(`  ${text}\n`).cases[0].id).toBe(a);
    expect(a).toMatch(/^ai-[0-9a-f]{16}$/);
    expect(parseGet(JSON.stringify({ cases: [getCase({ request: { pathParams: { petId: 5 } } })] })).cases[0].id).not.toBe(a);
  });

  it('drops cases that do not fit the operation, with one reason each', () => {
    const cases = [
      getCase(),
      getCase({ request: { method: 'DELETE' } }),
      getCase({ request: { path: '/pets' } }),
      getCase({ request: { query: { limit: 5 } } }),
      getCase({ request: { pathParams: { petId: 1, ownerId: 2 } } }),
      getCase({ request: { pathParams: {} } }),
      getCase({ request: { headers: { 'X-Evil': '1' } } }),
      getCase({ request: { body: { name: 'x' } } }),
      getCase({ expect: { status: 'four hundred' } }),
      { request: {}, expect: { status: 400 } },
      'not a case',
    ];
    const r = parseGet(JSON.stringify({ cases }), 20);
    expect(r.cases).toHaveLength(1);
    expect(r.dropped).toBe(10);
    expect(r.reasons).toEqual([
      'case 2: method DELETE is not GET',
      'case 3: path /pets is not /pets/{petId}',
      'case 4: query parameter "limit" does not exist',
      'case 5: path parameter "ownerId" does not exist',
      'case 6: path parameter "petId" has no value',
      'case 7: header "X-Evil" is not a parameter',
      'case 8: sends a body to an operation that takes none',
      expect.stringMatching(/^case 9: invalid \(expect\.status: /),
      expect.stringMatching(/^case 10: invalid \(title: /),
      expect.stringMatching(/^case 11: invalid \(case: /),
    ]);
  });

  it('drops repeats of a foundation case and of each other, and cases over the limit', () => {
    const repeatFoundation = getCase({ request: { pathParams: { petId: 1 } }, expect: { status: 200 } });
    const many = [getCase(), getCase(), ...[1, 2, 3].map((n) => getCase({ request: { pathParams: { petId: n + 100 } } })), repeatFoundation];
    const r = parseGet(JSON.stringify({ cases: many }), 3);
    expect(r.cases.map((c) => c.request.pathParams.petId)).toEqual([999999, 101, 102]);
    expect(r.reasons).toEqual(['case 2: repeats an existing case', 'case 5: over the limit of 3 cases', 'case 6: repeats an existing case']);
  });

  it('fills the content type from the operation and refuses one it does not accept', () => {
    const post = (request: Record<string, unknown>) => ({ title: 't', reason: 'r', request: { pathParams: {}, query: {}, headers: {}, ...request }, expect: { status: 400 } });
    const r = parseModelCases(
      JSON.stringify({ cases: [post({ body: { name: 7 } }), post({ body: 'x', contentType: 'text/xml' })] }),
      CREATE_PET,
      5,
      OPERATIONS[CREATE_PET.key],
    );
    expect(r.cases).toHaveLength(1);
    expect(r.cases[0].request).toMatchObject({ method: 'post', contentType: 'application/json', body: { name: 7 } });
    expect(r.reasons).toEqual(['case 2: content type text/xml is not accepted']);
  });

  it('accepts a bare array or a single case; says why when there is no case list', () => {
    expect(parseGet(JSON.stringify([getCase()])).cases).toHaveLength(1);
    expect(parseGet(JSON.stringify(getCase())).cases).toHaveLength(1);
    expect(parseGet('I cannot help with that.')).toEqual({ cases: [], dropped: 0, reasons: ['the answer is not JSON'] });
    // Repaired into a list whose one case is then judged, and dropped, like any other.
    expect(parseGet('Sure! {cases: [ {title: "x"')).toEqual({ cases: [], dropped: 1, reasons: [expect.stringMatching(/^case 1: invalid/)] });
    expect(parseGet('{"tests": []}')).toEqual({ cases: [], dropped: 0, reasons: ['the answer has no "cases" list'] });
  });

  it('without the operation, allows no query parameter or body at all', () => {
    const r = parseModelCases(JSON.stringify({ cases: [getCase({ request: { query: { verbose: true } } })] }), GET_PET, 5);
    expect(r.reasons).toEqual(['case 1: query parameter "verbose" does not exist']);
  });
});
