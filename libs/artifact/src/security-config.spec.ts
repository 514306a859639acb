import { TestCase } from '@spectest/contracts';
import { authEnvVar, caseSecurity, securityConfig } from './security-config';

const document = {
  openapi: '3.0.3',
  security: [{ bearerAuth: [] }],
  components: {
    securitySchemes: {
      bearerAuth: { type: 'http', scheme: 'bearer' },
      'api-key': { type: 'apiKey', in: 'query', name: 'key' },
      session: { type: 'apiKey', in: 'cookie', name: 'sid' },
      oauth: { type: 'oauth2', flows: {} },
      mutual: { type: 'mutualTLS' },
    },
  },
  paths: {
    '/open': { get: { security: [] } },
    '/either': { post: { security: [{ 'api-key': [], session: [] }, { oauth: ['write'] }] } },
    '/default': { get: {} },
  },
};

function caseFor(method: 'get' | 'post', path: string, security?: string[][]): TestCase {
  return {
    id: 'x',
    endpoint: `${method.toUpperCase()} ${path}`,
    group: 'g',
    source: 'foundation',
    kind: 'positive',
    title: 't',
    reason: 'r',
    request: { method, path, pathParams: {}, query: {}, headers: {}, contentType: null, ...(security ? { security } : {}) },
    expect: { status: 200, statusClass: '2xx', responseSchema: null },
  };
}

describe('security config of the generated suite', () => {
  it('names one AUTH_ variable per scheme it can fill in, and skips the ones it cannot (mutualTLS)', () => {
    const config = securityConfig(document);
    expect(Object.fromEntries(Object.entries(config).map(([name, s]) => [name, [s.envVar, s.apply, s.name]]))).toEqual({
      'api-key': ['AUTH_API_KEY', 'query', 'key'],
      bearerAuth: ['AUTH_BEARER_AUTH', 'bearer', undefined],
      oauth: ['AUTH_OAUTH', 'bearer', undefined],
      session: ['AUTH_SESSION', 'cookie', 'sid'],
    });
    expect(securityConfig({})).toEqual({});
    expect(authEnvVar('petstore_auth')).toBe('AUTH_PETSTORE_AUTH');
    expect(authEnvVar('***')).toBe('AUTH_SCHEME');
  });

  it('takes the case security first, then the operation, then the document', () => {
    expect(caseSecurity(document, caseFor('get', '/default', []))).toEqual([]);
    expect(caseSecurity(document, caseFor('get', '/open'))).toEqual([]);
    expect(caseSecurity(document, caseFor('post', '/either'))).toEqual([['api-key', 'session'], ['oauth']]);
    expect(caseSecurity(document, caseFor('get', '/default'))).toEqual([['bearerAuth']]);
    expect(caseSecurity(document, caseFor('get', '/unknown'))).toEqual([['bearerAuth']]);
  });
});
