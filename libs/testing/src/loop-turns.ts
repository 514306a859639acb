/**
 * Runs `work` and counts the turns the event loop took meanwhile: a test that some long work lets other
 * callbacks run (more than one turn) rather than holding the loop until it is done.
 */
export async function countingLoopTurns<T>(work: () => Promise<T>): Promise<{ result: T; turns: number }> {
  let turns = 0;
  let counting = true;
  const count = () => {
    turns++;
    if (counting) setImmediate(count);
  };
  setImmediate(count);
  try {
    return { result: await work(), turns };
  } finally {
    counting = false;
  }
}
