/** Polls `cond` until it holds; fails naming `what` after `timeoutMs`. */
export async function waitUntil(what: string, cond: () => boolean, timeoutMs = 10_000, stepMs = 10): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, stepMs));
  }
}
