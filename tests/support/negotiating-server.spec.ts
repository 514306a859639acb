import { join } from 'node:path';
import { RunningFixture } from './fixture-http';
import { CATALOGUE, negotiate, startNegotiatingServer } from './negotiating-server';
import { SpecConformance, loadSpecConformance, send } from './spec-conformance';

describe('negotiating fixture server (tests/fixtures/negotiating.yaml): the format follows Accept', () => {
  let server: RunningFixture;
  let spec: SpecConformance;
  beforeAll(async () => {
    spec = await loadSpecConformance(join(__dirname, '../fixtures/negotiating.yaml'));
  });
  beforeEach(async () => {
    server = await startNegotiatingServer();
  });
  afterEach(() => server.close());

  const get = async (template: string, path: string, accept?: string) => {
    const answer = await send(server.url, 'GET', path, accept === undefined ? {} : { headers: { accept } });
    expect(spec.problems('GET', template, answer.status, answer.contentType, answer.text)).toEqual([]);
    return answer;
  };

  it('answers JSON to the Accept node:test suites send, XML to none and to */* (what newman sends)', async () => {
    const json = await get('/items', '/items', 'application/json, */*;q=0.5');
    expect([json.status, json.contentType, json.json]).toEqual([200, 'application/json; charset=utf-8', CATALOGUE]);
    for (const accept of [undefined, '*/*']) {
      const xml = await get('/items', '/items', accept);
      expect([xml.status, xml.contentType]).toEqual([200, 'application/xml; charset=utf-8']);
      expect(xml.text).toBe(
        '<?xml version="1.0" encoding="UTF-8"?>\n<items><item><id>1</id><name>Lamp</name></item><item><id>2</id><name>Desk &amp; chair</name></item>' +
          '<item><id>3</id><name>Shelf &lt;oak&gt;</name></item></items>',
      );
      expect(xml.headers.get('vary')).toBe('Accept');
    }
  });

  it('negotiates errors too: 404 and 400 in the format asked for', async () => {
    const missing = await get('/items/{itemId}', '/items/99', 'application/json');
    expect([missing.status, missing.json]).toEqual([404, { code: 404, message: 'no item 99' }]);
    const xml = await get('/items/{itemId}', '/items/0');
    expect([xml.status, xml.text]).toEqual([400, '<?xml version="1.0" encoding="UTF-8"?>\n<error><code>400</code><message>itemId must be an integer of at least 1</message></error>']);
    expect((await get('/items', '/items?limit=51', 'application/json')).status).toBe(400);
  });

  it('reads one item of the list by the id the list gives', async () => {
    const list = (await get('/items', '/items?limit=2', 'application/json')).json as { id: number }[];
    expect(list.map((i) => i.id)).toEqual([1, 2]);
    expect((await get('/items/{itemId}', `/items/${list[1].id}`, 'application/json')).json).toEqual(CATALOGUE[1]);
  });

  it('answers 406 in text/plain when neither XML nor JSON is acceptable', async () => {
    const refused = await get('/items', '/items', 'text/html, application/xml;q=0');
    expect([refused.status, refused.contentType]).toEqual([406, 'text/plain; charset=utf-8']);
  });

  it('weighs quality values, and lets the more specific range decide', () => {
    expect(negotiate(undefined)).toBe('application/xml');
    expect(negotiate('application/json;q=0.4, application/xml;q=0.3')).toBe('application/json');
    expect(negotiate('application/*;q=0.9, application/xml;q=0.1')).toBe('application/json');
    expect(negotiate('*/*;q=0.5, application/json')).toBe('application/json');
    expect(negotiate('text/plain')).toBeNull();
  });
});
