import { createHash } from 'node:crypto';
import { Endpoint } from '@spectest/contracts';

/**
 * Stable, readable ids: "get-pets-petid-1a2b.wrong_type.query.limit". The short hash of the key keeps
 * "/a-b" and "/a/b" apart, which the readable part alone would merge.
 */
export function caseId(endpoint: Endpoint, kind: string, target?: string): string {
  const slug = endpoint.key
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-|-$/g, '');
  const hash = createHash('sha1').update(endpoint.key).digest('hex').slice(0, 4);
  const suffix = target ? '.' + target.replace(/[^A-Za-z0-9_.-]+/g, '-') : '';
  return `${slug}-${hash}.${kind}${suffix}`;
}

/** "listPets (GET /pets)" or just "GET /pets": how a case names its operation for people. */
export function operationLabel(endpoint: Endpoint): string {
  return endpoint.operationId ? `${endpoint.operationId} (${endpoint.key})` : endpoint.key;
}
