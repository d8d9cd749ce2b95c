// Entry point for the process's Prometheus metrics (see metrics/metrics.ts for the details).
export { Metrics, DNS_LATENCY_BUCKETS, type MetricsOptions } from './metrics/metrics.ts';
