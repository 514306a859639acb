import { REDACTED, redactUrl, requestSerializer } from './request-log.serializer';

const JWT = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiJhIn0.c2lnbmF0dXJl';

describe('redactUrl', () => {
  it.each([
    [`/v1/tasks/x/events?access_token=${JWT}`, `/v1/tasks/x/events?access_token=${REDACTED}`],
    [`/a?after=3&access_token=${JWT}&access_token=x`, `/a?after=3&access_token=${REDACTED}&access_token=${REDACTED}`],
    ['/a?token=abc&api_key=k&apikey=k&api-key=k&key=k&sig=s&X-Amz-Signature=s&password=p&client_secret=c', `/a?token=${REDACTED}&api_key=${REDACTED}&apikey=${REDACTED}&api-key=${REDACTED}&key=${REDACTED}&sig=${REDACTED}&X-Amz-Signature=${REDACTED}&password=${REDACTED}&client_secret=${REDACTED}`],
    ['/a?access%5Ftoken=abc', `/a?access%5Ftoken=${REDACTED}`],
    [`/v1/tasks/${JWT}`, `/v1/tasks/${REDACTED}`],
    [`/a?q=${JWT}`, `/a?q=${REDACTED}`],
    ['/v1/tasks?status=running&limit=5&cursor=abc', '/v1/tasks?status=running&limit=5&cursor=abc'],
    ['/a?flag&monkey=1', '/a?flag&monkey=1'],
  ])('%s', (url, expected) => {
    expect(redactUrl(url)).toBe(expected);
  });
});

describe('requestSerializer', () => {
  it('redacts the credential-like query values and headers, and JWTs in params, keeping the rest', () => {
    const out = requestSerializer({
      id: 1,
      method: 'GET',
      url: `/v1/tasks/${JWT}?access_token=${JWT}&after=1`,
      query: { access_token: JWT, after: '1', list: [JWT] },
      params: { id: JWT },
      headers: { authorization: `Bearer ${JWT}`, cookie: 's=1', 'x-api-key': 'k', 'x-auth-token': 't', host: 'localhost', accept: '*/*' },
      remoteAddress: '127.0.0.1',
    });
    expect(out).toEqual({
      id: 1,
      method: 'GET',
      url: `/v1/tasks/${REDACTED}?access_token=${REDACTED}&after=1`,
      query: { access_token: REDACTED, after: '1', list: [REDACTED] },
      params: { id: REDACTED },
      headers: { authorization: REDACTED, cookie: REDACTED, 'x-api-key': REDACTED, 'x-auth-token': REDACTED, host: 'localhost', accept: '*/*' },
      remoteAddress: '127.0.0.1',
    });
    expect(JSON.stringify(out)).not.toContain(JWT.split('.')[2]);
  });
});
