import { join } from 'node:path';
import { Answer, SpecConformance, loadSpecConformance, send } from './spec-conformance';
import { RunningStatefulPets, startStatefulPetsServer } from './stateful-pets-server';

const SPEC = join(__dirname, '../fixtures/stateful-pets.yaml');

describe('stateful pets fixture server (tests/fixtures/stateful-pets.yaml)', () => {
  let server: RunningStatefulPets;
  let spec: SpecConformance;
  let base: string;
  beforeAll(async () => {
    spec = await loadSpecConformance(SPEC);
  });
  beforeEach(async () => {
    server = await startStatefulPetsServer();
    base = `${server.url}/v1`;
  });
  afterEach(() => server.close());

  const conforming = (method: string, template: string, answer: Answer) => {
    expect(spec.problems(method, template, answer.status, answer.contentType, answer.text)).toEqual([]);
    return answer;
  };
  const create = async (body: unknown) => conforming('POST', '/pets', await send(base, 'POST', '/pets', { body }));

  it('starts empty and assigns ids in creation order, answering 201 with the pet and its Location', async () => {
    expect(conforming('GET', '/pets', await send(base, 'GET', '/pets')).json).toEqual([]);
    const first = await create({ name: 'Rex', tag: 'dog' });
    const second = await create({ name: 'Tom' });
    expect([first.status, second.status]).toEqual([201, 201]);
    expect(first.json).toEqual({ id: 1, name: 'Rex', tag: 'dog', status: 'available' });
    expect(second.json).toEqual({ id: 2, name: 'Tom', status: 'available' });
    expect(first.headers.get('location')).toBe('/v1/pets/1');
    expect(conforming('GET', '/pets', await send(base, 'GET', '/pets')).json).toEqual([first.json, second.json]);
  });

  it('reads, replaces (keeping the id) and deletes by id; a deleted id then answers 404 everywhere', async () => {
    await create({ name: 'Rex' });
    expect(conforming('GET', '/pets/{petId}', await send(base, 'GET', '/pets/1')).json).toEqual({ id: 1, name: 'Rex', status: 'available' });
    const replaced = conforming('PUT', '/pets/{petId}', await send(base, 'PUT', '/pets/1', { body: { name: 'Max', status: 'adopted' } }));
    expect([replaced.status, replaced.json]).toEqual([200, { id: 1, name: 'Max', status: 'adopted' }]);
    expect(conforming('GET', '/pets/{petId}', await send(base, 'GET', '/pets/1')).json).toEqual(replaced.json);
    const deleted = conforming('DELETE', '/pets/{petId}', await send(base, 'DELETE', '/pets/1'));
    expect([deleted.status, deleted.text]).toEqual([204, '']);
    for (const [method, body] of [['GET'], ['DELETE'], ['PUT', { name: 'Back' }]] as const) {
      const again = conforming(method, '/pets/{petId}', await send(base, method, '/pets/1', body ? { body } : {}));
      expect([method, again.status]).toEqual([method, 404]);
    }
    expect(server.pets()).toEqual([]);
  });

  it('answers 404 for an id never created, 400 for one that is not an integer of at least 1', async () => {
    expect(conforming('GET', '/pets/{petId}', await send(base, 'GET', '/pets/7')).status).toBe(404);
    for (const id of ['0', 'string', '-1', '1.5']) {
      expect([id, conforming('GET', '/pets/{petId}', await send(base, 'GET', `/pets/${id}`)).status]).toEqual([id, 400]);
    }
  });

  it('refuses the read-only id, unknown properties and broken constraints in a create or replace body with 400', async () => {
    await create({ name: 'Rex' });
    const invalid: unknown[] = [
      { id: 5, name: 'Rex' },
      { name: 'Rex', colour: 'brown' },
      {},
      { name: '' },
      { name: 'x'.repeat(101) },
      { name: 7 },
      { name: 'Rex', tag: 'x'.repeat(51) },
      { name: 'Rex', status: 'sold' },
      [],
    ];
    for (const body of invalid) {
      expect([body, conforming('POST', '/pets', await send(base, 'POST', '/pets', { body })).status]).toEqual([body, 400]);
      expect([body, conforming('PUT', '/pets/{petId}', await send(base, 'PUT', '/pets/1', { body })).status]).toEqual([body, 400]);
    }
    // Optional fields may be left out; limits count characters, not UTF-16 units.
    expect((await create({ name: '🐈'.repeat(100) })).status).toBe(201);
    expect(server.pets().map((p) => p.id)).toEqual([1, 2]);
  });

  it('refuses a body that is not JSON with 415, and malformed JSON with 400', async () => {
    const text = conforming('POST', '/pets', await send(base, 'POST', '/pets', { rawBody: 'name=Rex', headers: { 'content-type': 'text/plain' } }));
    const malformed = conforming('POST', '/pets', await send(base, 'POST', '/pets', { rawBody: '{"name":', headers: { 'content-type': 'application/json' } }));
    expect([text.status, malformed.status]).toEqual([415, 400]);
  });

  it('lists with limit and tag filters, and refuses a limit outside 1..100 with 400', async () => {
    for (const [name, tag] of [['A', 'cat'], ['B', 'dog'], ['C', 'cat']]) await create({ name, tag });
    const cats = conforming('GET', '/pets', await send(base, 'GET', '/pets?tag=cat&limit=1'));
    expect(cats.json).toEqual([{ id: 1, name: 'A', tag: 'cat', status: 'available' }]);
    for (const limit of ['0', '101', 'ten']) {
      expect([limit, conforming('GET', '/pets', await send(base, 'GET', `/pets?limit=${limit}`)).status]).toEqual([limit, 400]);
    }
  });

  it('has nothing outside its base path: /pets without /v1 answers 404', async () => {
    expect((await send(server.url, 'GET', '/pets')).status).toBe(404);
  });
});
