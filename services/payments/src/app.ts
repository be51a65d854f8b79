import { randomUUID } from 'node:crypto';
import { ConfigError } from '@emporium/config';
import type { BackgroundJob, ServiceApp, ServiceContext } from '@emporium/service';
import type { Webhook } from 'standardwebhooks';
import type { PaymentsConfig } from './config.js';
import { countUnknownOutcomes } from './data-access/operations-repository.js';
import { createProviderClient } from './data-access/provider-client.js';
import type { PaymentsDatabase } from './data-access/tables.js';
import type { PaymentsDeps, PaymentsMetrics } from './domain/deps.js';
import { createWebhookVerifier } from './domain/handle-webhook.js';
import { adminRoutes } from './entry-points/http/admin.js';
import { customerRoutes } from './entry-points/http/customer.js';
import { webhookRoutes } from './entry-points/http/webhooks.js';
import { startOperationWorker } from './entry-points/jobs/operation-worker.js';
import { startReconciliationJob } from './entry-points/jobs/reconciliation-job.js';

export type PaymentsContext = ServiceContext<PaymentsDatabase, PaymentsConfig>;

function paymentsMetrics(ctx: PaymentsContext): PaymentsMetrics {
  const operations = ctx.metrics.counter(
    'emporium_payments_operations_total',
    'Provider operation steps by kind and outcome (succeeded, failed, unknown: no answer, retry_later, waiting)',
    ['kind', 'outcome'],
  );
  const findings = ctx.metrics.counter(
    'emporium_payments_reconciliation_findings_total',
    'Differences the reconciliation found between our records and the provider (each counted once)',
    ['kind'],
  );
  const refunds = ctx.metrics.counter('emporium_payments_refunds_total', 'Refunds the provider made for us');
  const webhooks = ctx.metrics.counter('emporium_payments_webhooks_total', 'Provider webhooks received, by outcome', ['outcome']);
  ctx.metrics.gauge(
    'emporium_payments_unknown_outcome',
    'Operations whose last provider call got no answer and that are not resolved yet',
    [],
    async function collect() {
      this.set(await countUnknownOutcomes(ctx.db));
    },
  );
  return {
    operation: (kind, outcome) => operations.inc({ kind, outcome }),
    finding: (kind) => findings.inc({ kind }),
    refundSucceeded: () => refunds.inc(),
    webhook: (outcome) => webhooks.inc({ outcome }),
  };
}

interface Wiring {
  deps: PaymentsDeps;
  verifier: Webhook;
}

// One wiring per started service (keyed by its context): the HTTP app and the jobs share the
// provider client (and so its circuit breaker) and the metrics.
const wirings = new WeakMap<PaymentsContext, Wiring>();

function wiringOf(ctx: PaymentsContext): Wiring {
  const existing = wirings.get(ctx);
  if (existing) return existing;
  const c = ctx.config;
  if (c.PAYMENTS_WORKER_LEASE_MS < 2 * c.PAYMENT_PROVIDER_TIMEOUT_MS + 1_000) {
    throw new ConfigError(
      'PAYMENTS_WORKER_LEASE_MS',
      'must be at least 2 × PAYMENT_PROVIDER_TIMEOUT_MS + 1000 (a claim must outlive its calls)',
    );
  }
  let verifier: Webhook;
  try {
    verifier = createWebhookVerifier(c.PAYMENT_PROVIDER_WEBHOOK_SECRET);
  } catch {
    throw new ConfigError('PAYMENT_PROVIDER_WEBHOOK_SECRET', 'must be a Standard Webhooks secret (whsec_ followed by base64)');
  }
  const deps: PaymentsDeps = {
    db: ctx.db,
    messages: ctx.messages,
    provider: createProviderClient({
      baseUrl: c.PAYMENT_PROVIDER_URL,
      secretKey: c.PAYMENT_PROVIDER_SECRET_KEY,
      timeoutMs: c.PAYMENT_PROVIDER_TIMEOUT_MS,
      metrics: ctx.metrics,
      logger: ctx.logger,
    }),
    metrics: paymentsMetrics(ctx),
    logger: ctx.logger,
    settings: {
      keyRetentionMs: c.PAYMENT_PROVIDER_KEY_RETENTION_MS,
      retryDelaysMs: c.PAYMENTS_RETRY_DELAYS_MS,
      actionRecheckMs: c.PAYMENTS_ACTION_RECHECK_MS,
      // A capture waiting for its authorization looks again this soon (not tied to the poll, which may be long).
      waitMs: Math.min(Math.max(c.PAYMENTS_WORKER_POLL_MS * 4, 200), 1_000),
    },
    now: () => new Date(),
    newId: randomUUID,
  };
  const wiring = { deps, verifier };
  wirings.set(ctx, wiring);
  return wiring;
}

/** The payments HTTP app: admin views and refunds, the customer's view, the provider's webhooks. It never listens. */
export async function buildPaymentsApp(ctx: PaymentsContext): Promise<ServiceApp> {
  const { deps, verifier } = wiringOf(ctx);
  const app = await ctx.createApp();
  // The provider's webhooks come on keep-alive connections. A request in flight when close()
  // starts would leave its socket open until Fastify's keep-alive timeout (72 s) and hold the
  // shutdown that long; answered while closing, it closes its connection.
  app.addHook('onSend', async (_request, reply) => {
    if (!app.server.listening) reply.header('connection', 'close');
  });
  adminRoutes(app, deps);
  customerRoutes(app, deps);
  await webhookRoutes(app, deps, verifier);
  return app;
}

/** The provider worker and the reconciliation, started after listen. */
export function paymentsJobs(ctx: PaymentsContext): BackgroundJob[] {
  const { deps } = wiringOf(ctx);
  const c = ctx.config;
  return [
    startOperationWorker(deps, {
      pool: ctx.db.pool,
      pollMs: c.PAYMENTS_WORKER_POLL_MS,
      leaseMs: c.PAYMENTS_WORKER_LEASE_MS,
      concurrency: c.PAYMENTS_WORKER_BATCH,
    }),
    startReconciliationJob(deps, {
      intervalMs: c.PAYMENTS_RECONCILIATION_INTERVAL_MS,
      lookbackHours: c.PAYMENTS_RECONCILIATION_LOOKBACK_HOURS,
      batch: c.PAYMENTS_RECONCILIATION_BATCH,
    }),
  ];
}
