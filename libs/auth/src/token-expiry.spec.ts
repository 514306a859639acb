import { TokenExpiry } from './token-expiry';

describe('TokenExpiry (one timer for every socket token)', () => {
  beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
  afterEach(() => jest.useRealTimers());

  it('ends each item once its time has come, never before, and stops ticking when empty', () => {
    const ended: string[] = [];
    const expiry = new TokenExpiry<string>((s) => ended.push(s));
    expiry.add('a', 1_000_000 + 1_500);
    expiry.add('b', 1_000_000 + 1_500);
    expiry.add('c', 1_000_000 + 4_000);
    jest.advanceTimersByTime(1_000);
    expect(ended).toEqual([]);
    jest.advanceTimersByTime(1_000);
    expect(ended).toEqual(['a', 'b']);
    jest.advanceTimersByTime(2_000);
    expect(ended).toEqual(['a', 'b', 'c']);
    expect(expiry.size).toBe(0);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('forgets a removed item (a socket that disconnected first)', () => {
    const ended: string[] = [];
    const expiry = new TokenExpiry<string>((s) => ended.push(s));
    const key = expiry.add('a', 1_000_000 + 1_000);
    expiry.add('b', 1_000_000 + 1_000);
    expiry.remove('a', key);
    jest.advanceTimersByTime(3_000);
    expect(ended).toEqual(['b']);
    expiry.remove('b', key);
    expect(jest.getTimerCount()).toBe(0);
  });

  it('ends at the next tick an item that has already expired', () => {
    const ended: string[] = [];
    const expiry = new TokenExpiry<string>((s) => ended.push(s));
    expiry.add('late', 1_000_000 - 5_000);
    jest.advanceTimersByTime(1_000);
    expect(ended).toEqual(['late']);
  });
});
