import { join } from 'node:path';
import { loadSpecConformance } from './spec-conformance';

describe('spec conformance check of the fixture servers', () => {
  it('names an undocumented status, an undocumented media type, a body off its schema, and a body where none is documented', async () => {
    const spec = await loadSpecConformance(join(__dirname, '../fixtures/stateful-pets.yaml'));
    const pet = JSON.stringify({ id: 1, name: 'Rex' });
    expect(spec.problems('GET', '/pets/{petId}', 200, 'application/json', pet)).toEqual([]);
    expect(spec.problems('GET', '/pets/{petId}', 422, 'application/json', pet)).toEqual(['status 422 is not documented for GET /pets/{petId}']);
    expect(spec.problems('GET', '/pets/{petId}', 404, 'text/plain', 'nope')[0]).toMatch(/content type "text\/plain" is not documented for 404/);
    expect(spec.problems('GET', '/pets/{petId}', 200, 'application/json', JSON.stringify({ id: 'one' }))).toEqual([
      "(body) must have required property 'name'",
      '/id must be integer',
    ]);
    // Through a components/responses reference.
    expect(spec.problems('GET', '/pets/{petId}', 404, 'application/json', JSON.stringify({ message: 'x' }))).toEqual(["(body) must have required property 'code'"]);
    expect(spec.problems('DELETE', '/pets/{petId}', 204, null, 'deleted')[0]).toMatch(/documents no body/);
    expect(spec.problems('PATCH', '/pets/{petId}', 200, null, '')).toEqual(['the spec has no operation PATCH /pets/{petId}']);
  });
});
