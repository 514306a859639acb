import { DeadlineExceededError, withDeadline } from './deadline';

describe('withDeadline', () => {
  it('passes on what settles in time, value or rejection', async () => {
    await expect(withDeadline(Promise.resolve(7), 50, 'fast')).resolves.toBe(7);
    await expect(withDeadline(Promise.reject(new Error('boom')), 50, 'failing')).rejects.toThrow('boom');
  });

  it('rejects with DeadlineExceededError naming the work when it does not settle in time', async () => {
    const never = new Promise<number>(() => undefined);
    const err = await withDeadline(never, 20, 'the task read').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DeadlineExceededError);
    expect((err as Error).message).toBe('the task read: no answer within 20 ms');
  });
});
