import type { Metrics } from '@emporium/observability';
import type { FastifyInstance } from 'fastify';

/** HTTP RED metrics per route template (never a raw path: ids would explode the label set). */
export function installHttpMetrics(app: FastifyInstance, metrics: Metrics): void {
  const duration = metrics.histogram(
    'http_server_request_duration_seconds',
    'Time to answer an HTTP request, by route template',
    ['method', 'route', 'status_code'],
    [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
  );
  const total = metrics.counter('http_server_requests_total', 'HTTP requests answered, by route template and status', [
    'method',
    'route',
    'status_code',
  ]);
  app.addHook('onResponse', async (request, reply) => {
    const route = request.routeOptions.url ?? 'unmatched';
    if (route === '/metrics') return;
    const labels = { method: request.method, route, status_code: String(reply.statusCode) };
    total.inc(labels);
    duration.observe(labels, reply.elapsedTime / 1000);
  });
}
