import { TestCase } from '@spectest/contracts';
import { resolveJsonPointer, setOwnProperty } from '@spectest/openapi';

/**
 * How the generated suite authenticates: one environment variable per security scheme of the spec,
 * named after the scheme (`api_key` -> AUTH_API_KEY), and per case the requirement alternatives of its
 * operation. Read from the normalised OpenAPI 3.x document, so Swagger 2 specs are covered too.
 */
export interface SecuritySchemeConfig {
  envVar: string;
  /** apiKey: header | query | cookie; http bearer/oauth2/openIdConnect: bearer; http basic: basic. */
  apply: 'header' | 'query' | 'cookie' | 'bearer' | 'basic';
  /** Header, query or cookie name for apiKey schemes. */
  name?: string;
  description: string;
}

export type SecurityConfig = Record<string, SecuritySchemeConfig>;

export function securityConfig(document: unknown): SecurityConfig {
  const schemes = record(record(record(document).components).securitySchemes);
  const config: SecurityConfig = {};
  for (const name of Object.keys(schemes).sort()) {
    const scheme = record(local(document, schemes[name]));
    const envVar = authEnvVar(name);
    if (scheme.type === 'apiKey' && typeof scheme.name === 'string' && ['header', 'query', 'cookie'].includes(String(scheme.in))) {
      setOwnProperty<SecuritySchemeConfig>(config, name, { envVar, apply: scheme.in as 'header', name: scheme.name, description: `API key sent as ${scheme.in} "${scheme.name}"` });
    } else if (scheme.type === 'http' && String(scheme.scheme).toLowerCase() === 'basic') {
      setOwnProperty(config, name, { envVar, apply: 'basic', description: 'HTTP basic credentials as "user:password"' });
    } else if (scheme.type === 'http' || scheme.type === 'oauth2' || scheme.type === 'openIdConnect') {
      setOwnProperty(config, name, { envVar, apply: 'bearer', description: `token sent as "Authorization: Bearer <token>" (${scheme.type})` });
    }
  }
  return config;
}

/** AUTH_ + the scheme name in upper snake case: `api_key` -> AUTH_API_KEY, `bearerAuth` -> AUTH_BEARER_AUTH. */
export function authEnvVar(schemeName: string): string {
  const snake = schemeName
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/[^A-Za-z0-9]+/g, '_')
    .replace(/^_+|_+$/g, '')
    .toUpperCase();
  return `AUTH_${snake || 'SCHEME'}`;
}

/**
 * The security requirement alternatives of a case's operation, each a list of scheme names:
 * the case's own `request.security` when it sets one (`[]` = send no credentials), else the
 * operation's `security`, else the document's.
 */
export function caseSecurity(document: unknown, testCase: TestCase): string[][] {
  if (testCase.request.security) return testCase.request.security;
  const pathItem = record(local(document, record(record(document).paths)[testCase.request.path]));
  const operation = record(pathItem[testCase.request.method]);
  const requirements = Array.isArray(operation.security) ? operation.security : record(document).security;
  if (!Array.isArray(requirements)) return [];
  return requirements.map((requirement) => Object.keys(record(requirement)).sort());
}

/** The document keeps its references: a path item or a security scheme may be a local `$ref`. */
function local(document: unknown, value: unknown): unknown {
  const ref = record(value).$ref;
  return typeof ref === 'string' ? resolveJsonPointer(document, ref) : value;
}

function record(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}
