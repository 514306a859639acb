import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** One registry per process; in the embedded mode all five services share it. */
export const metricsRegistry = new Registry();
let defaultsCollected = false;

export function initMetrics(service: string): Registry {
  if (!defaultsCollected) {
    metricsRegistry.setDefaultLabels({ service });
    collectDefaultMetrics({ register: metricsRegistry });
    defaultsCollected = true;
  }
  return metricsRegistry;
}

function once<T>(name: string, make: () => T): T {
  return (metricsRegistry.getSingleMetric(name) as T | undefined) ?? make();
}

export const metrics = {
  tasksSubmitted: () =>
    once('spectest_tasks_submitted_total', () => new Counter({ name: 'spectest_tasks_submitted_total', help: 'Tasks accepted by intake', registers: [metricsRegistry] })),
  eventsWritten: () =>
    once('spectest_events_written_total', () => new Counter({ name: 'spectest_events_written_total', help: 'Task events committed', labelNames: ['type'], registers: [metricsRegistry] })),
  workHandled: () =>
    once('spectest_work_handled_total', () => new Counter({ name: 'spectest_work_handled_total', help: 'Stage work messages handled', labelNames: ['stage', 'outcome'], registers: [metricsRegistry] })),
  stageDuration: () =>
    once('spectest_stage_duration_seconds', () => new Histogram({ name: 'spectest_stage_duration_seconds', help: 'Duration of a stage run', labelNames: ['stage'], buckets: [0.05, 0.1, 0.5, 1, 5, 15, 60, 300], registers: [metricsRegistry] })),
  socketsConnected: () =>
    once('spectest_sockets_connected', () => new Gauge({ name: 'spectest_sockets_connected', help: 'Socket.IO connections open', registers: [metricsRegistry] })),
  sseStreams: () =>
    once('spectest_sse_streams', () => new Gauge({ name: 'spectest_sse_streams', help: 'SSE streams open', registers: [metricsRegistry] })),
};
