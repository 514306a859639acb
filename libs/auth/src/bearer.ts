/** The token of an `Authorization: Bearer <token>` header; null for any other scheme or an empty token. */
export function extractBearer(header?: string | null): string | null {
  if (typeof header !== 'string') return null;
  const match = /^\s*Bearer\s+(\S+)\s*$/i.exec(header);
  return match ? match[1] : null;
}
