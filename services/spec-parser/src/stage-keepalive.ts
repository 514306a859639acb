/**
 * Runs `work` and, while it runs, calls `beat` every `intervalMs` (never two at once, none after `work`
 * ends): storing 75,000 cases takes seconds in one transaction that reports nothing, and a watcher must
 * still see the stage alive at least once a second. A failing beat is ignored; `work` decides the outcome.
 */
export async function withKeepalive<T>(work: () => Promise<T>, beat: () => Promise<unknown>, intervalMs: number): Promise<T> {
  if (intervalMs <= 0) return work();
  let beating: Promise<unknown> | null = null;
  const timer = setInterval(() => {
    beating ??= beat()
      .catch(() => undefined)
      .finally(() => {
        beating = null;
      });
  }, intervalMs);
  try {
    return await work();
  } finally {
    clearInterval(timer);
    await beating;
  }
}
