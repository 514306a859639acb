import { withKeepalive } from './stage-keepalive';

describe('withKeepalive', () => {
  beforeEach(() => jest.useFakeTimers());
  afterEach(() => jest.useRealTimers());

  it('beats every interval while the work runs, never after it, and returns its result', async () => {
    let finish!: (value: string) => void;
    const work = new Promise<string>((resolve) => (finish = resolve));
    const beats: number[] = [];
    const running = withKeepalive(() => work, async () => beats.push(Date.now()), 1000);
    await jest.advanceTimersByTimeAsync(3500);
    expect(beats).toHaveLength(3);
    finish('stored');
    await expect(running).resolves.toBe('stored');
    await jest.advanceTimersByTimeAsync(5000);
    expect(beats).toHaveLength(3);
  });

  it('never runs two beats at once, ignores a failing beat and passes the work failure on', async () => {
    let reject!: (error: Error) => void;
    const work = new Promise<never>((_resolve, fail) => (reject = fail));
    let active = 0;
    let overlapped = false;
    let calls = 0;
    const beat = async () => {
      calls++;
      overlapped ||= active > 0;
      active++;
      await new Promise((resolve) => setTimeout(resolve, 2500));
      active--;
      throw new Error('the writer refused');
    };
    const running = withKeepalive(() => work, beat, 1000);
    const outcome = running.catch((error: Error) => error.message);
    await jest.advanceTimersByTimeAsync(6000);
    reject(new Error('insert failed'));
    await jest.advanceTimersByTimeAsync(3000);
    expect(await outcome).toBe('insert failed');
    expect(overlapped).toBe(false);
    expect(calls).toBeGreaterThanOrEqual(2);
  });

  it('does not beat with an interval of 0', async () => {
    const beat = jest.fn(async () => undefined);
    await withKeepalive(async () => 'done', beat, 0);
    expect(beat).not.toHaveBeenCalled();
  });
});
