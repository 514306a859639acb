import { RunningFixture } from './fixture-http';
import { startNotFoundServer } from './not-found-server';
import { send } from './spec-conformance';

describe('not-found fixture server', () => {
  let server: RunningFixture;
  beforeEach(async () => {
    server = await startNotFoundServer();
  });
  afterEach(() => server.close());

  it('answers 404 with a JSON Error to every method and path, with or without a body', async () => {
    const requests: [string, string, unknown][] = [
      ['GET', '/', undefined],
      ['GET', '/v1/pets?limit=1', undefined],
      ['POST', '/v1/pets', { name: 'Rex' }],
      ['PUT', '/pets/1', { name: 'Rex' }],
      ['DELETE', '/pets/1', undefined],
      ['PATCH', '/anything/at/all', { big: 'x'.repeat(100_000) }],
    ];
    for (const [method, path, body] of requests) {
      const answer = await send(server.url, method, path, body === undefined ? {} : { body });
      expect([method, path, answer.status, answer.contentType]).toEqual([method, path, 404, 'application/json']);
      expect(answer.json).toEqual({ code: 404, message: `no route ${method} ${path.split('?')[0]}` });
    }
    expect(server.requests).toHaveLength(requests.length);
  });
});
