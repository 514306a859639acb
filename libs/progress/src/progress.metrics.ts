import { metrics, metricsRegistry } from '@spectest/platform';
import { Counter, Histogram } from 'prom-client';

function once<T>(name: string, make: () => T): T {
  return (metricsRegistry.getSingleMetric(name) as T | undefined) ?? make();
}

/** The writer's and the feeds' metrics, registered in the process registry on first use (several writers share them). */
export const progressMetrics = {
  batchSize: () =>
    once('spectest_progress_batch_size', () => new Histogram({ name: 'spectest_progress_batch_size', help: 'Reports committed in one writer transaction', buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000], registers: [metricsRegistry] })),
  commitDuration: () =>
    once('spectest_progress_commit_seconds', () => new Histogram({ name: 'spectest_progress_commit_seconds', help: 'Duration of one writer transaction, BEGIN to COMMIT', buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5], registers: [metricsRegistry] })),
  batchFallbacks: () =>
    once('spectest_progress_batch_fallbacks_total', () => new Counter({ name: 'spectest_progress_batch_fallbacks_total', help: 'Batches whose transaction failed and were retried one report per transaction', registers: [metricsRegistry] })),
  eventsWritten: metrics.eventsWritten,
  feedReadFailures: () =>
    once(
      'spectest_feed_read_failures_total',
      () =>
        new Counter({
          name: 'spectest_feed_read_failures_total',
          help: 'Reads of the event log for a subscriber that failed, by outcome (retried, or gave_up: the subscriber was told)',
          labelNames: ['outcome'],
          registers: [metricsRegistry],
        }),
    ),
};
