import { EtaEstimator } from './eta.estimator';

describe('EtaEstimator', () => {
  it('says nothing before anything is measured and there is no history', () => {
    const e = new EtaEstimator(4, 1, 0, null);
    expect(e.estimate(1000, [50])).toBeNull();
  });

  it('uses the history alone at the start: endpoints x ms per call / concurrency', () => {
    expect(new EtaEstimator(4, 1, 0, { msPerCall: 1000, completionPerCall: 100 }).estimate(0, [])).toBe(4000);
    expect(new EtaEstimator(4, 2, 0, { msPerCall: 1000, completionPerCall: 100 }).estimate(0, [])).toBe(2000);
    // Concurrency above the endpoint count buys nothing.
    expect(new EtaEstimator(1, 8, 0, { msPerCall: 1000, completionPerCall: 100 }).estimate(0, [])).toBe(1000);
  });

  it('counts the streamed share of a call in flight, capped below a whole endpoint', () => {
    const e = new EtaEstimator(2, 1, 0, { msPerCall: 1000, completionPerCall: 100 });
    expect(e.unitsDone([50])).toBe(0.5);
    expect(e.unitsDone([500])).toBe(0.9);
    expect(e.estimate(500, [50])).toBe(1500);
  });

  it('follows the measured rate of the task as endpoints finish, blended with the history', () => {
    // History says 1 s a call; this task takes 3 s a call.
    const e = new EtaEstimator(10, 1, 0, { msPerCall: 1000, completionPerCall: 100 });
    e.endpointFinished(100);
    e.endpointFinished(100);
    // Measured: 2 units in 6 s; prior 1 unit/s; equal weight after two calls.
    const rate = 0.5 * (2 / 6000) + 0.5 * (1 / 1000);
    expect(e.estimate(6000, [])).toBe(Math.round(8 / rate));
    // With many calls the task's own pace dominates.
    const later = new EtaEstimator(10, 1, 0, null);
    for (let i = 0; i < 5; i++) later.endpointFinished(100);
    expect(later.estimate(15_000, [])).toBe(15_000);
  });

  it('learns the expected completion of a call from this task once a call answered', () => {
    const e = new EtaEstimator(3, 1, 0, { msPerCall: 1000, completionPerCall: 100 });
    e.endpointFinished(); // a failed call teaches nothing about answer length
    expect(e.expectedCompletion()).toBe(100);
    e.endpointFinished(40);
    expect(e.expectedCompletion()).toBe(40);
  });

  it('measures how far the estimates at 25/50/75% were from the real end', () => {
    const e = new EtaEstimator(4, 1, 0, null);
    e.endpointFinished(10);
    expect(e.estimate(1000, [])).toBe(3000); // 25% at t=1000, predicts the end at 4000
    e.endpointFinished(10);
    expect(e.estimate(2000, [])).toBe(2000); // 50%, predicts 4000
    e.endpointFinished(10);
    expect(e.estimate(4000, [])).toBe(Math.round(1 / (3 / 4000))); // 75%, predicts ~5333
    e.endpointFinished(10);
    const acc = e.accuracy(6000);
    expect(acc.at25).toBe(Math.abs(3000 - 5000));
    expect(acc.at50).toBe(Math.abs(2000 - 4000));
    expect(acc.at75).toBe(Math.abs(1333 - 2000));
    expect(acc.meanAbsMs).toBe(Math.round((2000 + 2000 + 667) / 3));
  });

  it('leaves a checkpoint null when no estimate was made past it', () => {
    const e = new EtaEstimator(2, 1, 0, null);
    e.endpointFinished(10);
    e.endpointFinished(10);
    expect(e.accuracy(100)).toEqual({ at25: null, at50: null, at75: null, meanAbsMs: null });
    expect(new EtaEstimator(0, 1, 0, null).estimate(5, [])).toBe(0);
  });
});
