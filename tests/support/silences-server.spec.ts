import { join } from 'node:path';
import { RunningSilences, startSilencesServer } from './silences-server';
import { Answer, SpecConformance, loadSpecConformance, send } from './spec-conformance';

const NOW = Date.parse('2030-06-01T12:00:00Z');
const at = (offsetMinutes: number) => new Date(NOW + offsetMinutes * 60_000).toISOString();

describe('silences fixture server (tests/fixtures/silences.yaml): a body that must be ordered in time', () => {
  let server: RunningSilences;
  let spec: SpecConformance;
  beforeAll(async () => {
    spec = await loadSpecConformance(join(__dirname, '../fixtures/silences.yaml'));
  });
  beforeEach(async () => {
    server = await startSilencesServer({ now: () => NOW });
  });
  afterEach(() => server.close());

  const conforming = (method: string, template: string, answer: Answer) => {
    expect(spec.problems(method, template, answer.status, answer.contentType, answer.text)).toEqual([]);
    return answer;
  };
  const create = async (body: unknown) => conforming('POST', '/silences', await send(server.url, 'POST', '/silences', { body }));

  it('accepts an ordered range that ends in the future, even one that started in the past', async () => {
    const future = await create({ comment: 'maintenance', createdBy: 'ops', startsAt: at(10), endsAt: at(70) });
    const running = await create({ comment: 'ongoing', startsAt: at(-30), endsAt: at(30) });
    expect([future.status, running.status]).toEqual([201, 201]);
    expect(future.json).toEqual({ id: expect.stringMatching(/^[0-9a-f-]{36}$/), comment: 'maintenance', createdBy: 'ops', startsAt: at(10), endsAt: at(70) });
    const id = (future.json as { id: string }).id;
    expect(conforming('GET', '/silences/{silenceId}', await send(server.url, 'GET', `/silences/${id}`)).json).toEqual(future.json);
    expect(conforming('GET', '/silences', await send(server.url, 'GET', '/silences')).json).toEqual([future.json, running.json]);
  });

  it('refuses with 422 a range whose end is not after its start, or that has already ended', async () => {
    const refused = [
      { comment: 'backwards', startsAt: at(60), endsAt: at(10) },
      { comment: 'empty', startsAt: at(10), endsAt: at(10) },
      { comment: 'over', startsAt: at(-60), endsAt: at(-1) },
      // The one instant a generator may use for every date-time: equal, so not ordered.
      { comment: 'same instant', startsAt: '2019-08-24T14:15:22Z', endsAt: '2019-08-24T14:15:22Z' },
    ];
    for (const body of refused) {
      const answer = await create(body);
      expect([body.comment, answer.status]).toEqual([body.comment, 422]);
    }
    expect(server.silences()).toEqual([]);
  });

  it('refuses with 400 a body that is not a NewSilence: a missing or unknown field, a date-time that is not RFC 3339', async () => {
    const valid = { comment: 'c', startsAt: at(1), endsAt: at(2) };
    const invalid: unknown[] = [
      { startsAt: at(1), endsAt: at(2) },
      { comment: 'c', endsAt: at(2) },
      { comment: 'c', startsAt: at(1) },
      { ...valid, comment: '' },
      { ...valid, id: '00000000-0000-0000-0000-000000000000' },
      { ...valid, startsAt: 'tomorrow' },
      { ...valid, endsAt: '2030-06-01' },
      { ...valid, startsAt: 1_900_000_000 },
      { ...valid, createdBy: 5 },
    ];
    for (const body of invalid) expect([body, (await create(body)).status]).toEqual([body, 400]);
    const text = await send(server.url, 'POST', '/silences', { rawBody: 'x', headers: { 'content-type': 'text/plain' } });
    expect(conforming('POST', '/silences', text).status).toBe(415);
  });

  it('deletes by id; then the id answers 404, and an id that is not a UUID answers 400', async () => {
    const id = ((await create({ comment: 'c', startsAt: at(1), endsAt: at(2) })).json as { id: string }).id;
    expect(conforming('DELETE', '/silences/{silenceId}', await send(server.url, 'DELETE', `/silences/${id}`)).status).toBe(204);
    expect(conforming('GET', '/silences/{silenceId}', await send(server.url, 'GET', `/silences/${id}`)).status).toBe(404);
    expect(conforming('DELETE', '/silences/{silenceId}', await send(server.url, 'DELETE', `/silences/${id}`)).status).toBe(404);
    expect(conforming('GET', '/silences/{silenceId}', await send(server.url, 'GET', '/silences/string')).status).toBe(400);
  });

  it('judges "in the future" by its clock: the same body is refused once its end has passed', async () => {
    let now = NOW;
    const clocked = await startSilencesServer({ now: () => now });
    try {
      const body = { comment: 'c', startsAt: at(1), endsAt: at(5) };
      expect((await send(clocked.url, 'POST', '/silences', { body })).status).toBe(201);
      now = NOW + 10 * 60_000;
      expect((await send(clocked.url, 'POST', '/silences', { body })).status).toBe(422);
    } finally {
      await clocked.close();
    }
  });
});
