import { Counter, collectDefaultMetrics, Gauge, Histogram, Registry } from 'prom-client';

export interface Metrics {
  registry: Registry;
  counter(name: string, help: string, labelNames?: readonly string[]): Counter<string>;
  gauge(name: string, help: string, labelNames?: readonly string[], collect?: (this: Gauge<string>) => void | Promise<void>): Gauge<string>;
  histogram(name: string, help: string, labelNames?: readonly string[], buckets?: number[]): Histogram<string>;
}

/**
 * One registry per service instance (no global default registry: several services share a
 * process in the embedded mode). Metric names follow Prometheus conventions; label values are
 * bounded (route templates, queue names, message types), never ids.
 */
export function createMetrics(service: string, options: { defaultMetrics?: boolean } = {}): Metrics {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  if (options.defaultMetrics ?? true) collectDefaultMetrics({ register: registry });
  const existing = <T>(name: string) => registry.getSingleMetric(name) as T | undefined;
  return {
    registry,
    counter: (name, help, labelNames = []) =>
      existing<Counter<string>>(name) ?? new Counter({ name, help, labelNames: [...labelNames], registers: [registry] }),
    gauge: (name, help, labelNames = [], collect) =>
      existing<Gauge<string>>(name) ??
      new Gauge({ name, help, labelNames: [...labelNames], registers: [registry], ...(collect ? { collect } : {}) }),
    histogram: (name, help, labelNames = [], buckets) =>
      existing<Histogram<string>>(name) ??
      new Histogram({ name, help, labelNames: [...labelNames], registers: [registry], ...(buckets ? { buckets } : {}) }),
  };
}
