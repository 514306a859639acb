/**
 * NATS subject matching for the in-process fan-out: `*` matches exactly one token, `>` (last only)
 * matches one or more trailing tokens. Kept identical to the server so embedded and full mode agree.
 */
export function subjectMatches(pattern: string, subject: string): boolean {
  const want = pattern.split('.');
  const have = subject.split('.');
  for (let i = 0; i < want.length; i += 1) {
    const token = want[i];
    if (token === '>') return i === want.length - 1 && have.length > i;
    if (i >= have.length) return false;
    if (token !== '*' && token !== have[i]) return false;
  }
  return want.length === have.length;
}

/** Rejects what the NATS server would reject, so a bad pattern fails in embedded mode too. */
export function assertValidSubject(subject: string, allowWildcards: boolean): void {
  const tokens = subject.split('.');
  const bad = tokens.some((token, i) => {
    if (token === '' || /\s/.test(token)) return true;
    if (token === '*' || token === '>') return !allowWildcards || (token === '>' && i !== tokens.length - 1);
    return token.includes('*') || token.includes('>');
  });
  if (bad) throw new Error(`invalid subject "${subject}"`);
}
