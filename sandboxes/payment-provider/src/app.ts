import { randomBytes } from 'node:crypto';
import { ConfigError } from '@emporium/config';
import type { ServiceApp, ServiceContext } from '@emporium/service';
import type { PaymentProviderConfig } from './config.js';
import { ProviderStore } from './data-access/memory-store.js';
import type { EventSink, ProviderDeps, ProviderMetrics } from './domain/deps.js';
import { FaultBook } from './domain/faults.js';
import { Ledger } from './domain/ledger.js';
import { requireSecretKey, scopeOf } from './entry-points/http/auth.js';
import { IdempotencyStore } from './entry-points/http/idempotency.js';
import type { EdgeDeps } from './entry-points/http/operation.js';
import { paymentIntentRoutes } from './entry-points/http/payment-intents.js';
import { installProviderErrors } from './entry-points/http/provider-errors.js';
import { refundRoutes } from './entry-points/http/refunds.js';
import { testRoutes } from './entry-points/http/test-routes.js';
import { WebhookDispatcher, type WebhookSettings } from './webhooks/dispatcher.js';

export type PaymentProviderContext = ServiceContext<unknown, PaymentProviderConfig>;

const WHSEC = /^whsec_([A-Za-z0-9+/]+={0,2})$/;

/** The webhook settings, or undefined when no URL is configured; a missing or malformed secret stops the start. */
export function webhookSettingsOf(config: PaymentProviderContext['config']): WebhookSettings | undefined {
  const urls = config.SANDBOX_WEBHOOK_URLS ?? [];
  if (urls.length === 0) return undefined;
  for (const url of urls) {
    let protocol = '';
    try {
      protocol = new URL(url).protocol;
    } catch {}
    if (protocol !== 'http:' && protocol !== 'https:') throw new ConfigError('SANDBOX_WEBHOOK_URLS', 'every entry must be an http(s) URL');
  }
  const secret = config.SANDBOX_WEBHOOK_SECRET;
  if (!secret)
    throw new ConfigError('SANDBOX_WEBHOOK_SECRET', 'is required when SANDBOX_WEBHOOK_URLS is set (Standard Webhooks secret, whsec_…)');
  const bytes = WHSEC.exec(secret)?.[1];
  const length = bytes ? Buffer.from(bytes, 'base64').length : 0;
  if (length < 24 || length > 64) {
    throw new ConfigError('SANDBOX_WEBHOOK_SECRET', 'must be whsec_ followed by the base64 of 24 to 64 random bytes');
  }
  return {
    urls,
    secret,
    retryDelaysMs: config.SANDBOX_WEBHOOK_RETRY_DELAYS_MS,
    maxAttempts: config.SANDBOX_WEBHOOK_MAX_ATTEMPTS,
    timeoutMs: config.SANDBOX_WEBHOOK_TIMEOUT_MS,
  };
}

function providerMetrics(metrics: PaymentProviderContext['metrics']): ProviderMetrics {
  const movements = metrics.counter('emporium_payment_provider_money_movements_total', 'Ledger entries written, by kind', ['kind']);
  const minorUnits = metrics.counter('emporium_payment_provider_money_moved_minor_units_total', 'Sum of ledger amounts, by kind', ['kind']);
  return {
    moneyMoved: (kind, amount) => {
      movements.inc({ kind });
      minorUnits.inc({ kind }, amount);
    },
  };
}

/**
 * The sandbox's HTTP app: the provider's API under `/v1` (secret key, idempotency keys,
 * provider-shaped errors) and the test switches under `/v1/test`. All state is in memory and
 * belongs to this app: a second app is a second, empty provider. It never listens.
 */
export async function buildPaymentProviderApp(ctx: PaymentProviderContext): Promise<ServiceApp> {
  const config = ctx.config;
  const faults = new FaultBook();
  const webhookSettings = webhookSettingsOf(config);
  const webhooks = webhookSettings ? new WebhookDispatcher(webhookSettings, faults, ctx.logger, ctx.metrics) : undefined;
  const events: EventSink = webhooks ?? { publish: () => {} };
  const deps: ProviderDeps = {
    store: new ProviderStore(),
    ledger: new Ledger(),
    events,
    metrics: providerMetrics(ctx.metrics),
    now: () => new Date(),
    newId: (prefix) => `${prefix}_${randomBytes(12).toString('hex')}`,
  };

  // Held answers and latencies end when the server closes, so a shutdown never waits for them.
  const closing = new AbortController();
  const hold = (ms: number) =>
    new Promise<void>((resolve) => {
      if (closing.signal.aborted) return resolve();
      const done = () => {
        clearTimeout(timer);
        closing.signal.removeEventListener('abort', done);
        resolve();
      };
      const timer = setTimeout(done, ms);
      closing.signal.addEventListener('abort', done, { once: true });
    });
  const injected = ctx.metrics.counter(
    'emporium_payment_provider_faults_injected_total',
    'API faults applied to requests, by operation and kind',
    ['operation', 'kind'],
  );
  const idempotency = new IdempotencyStore(config.SANDBOX_IDEMPOTENCY_RETENTION_MS);
  const edge: EdgeDeps = {
    faults,
    idempotency,
    scope: scopeOf(config.SANDBOX_SECRET_KEY),
    hold,
    faultInjected: (operation, fault) => injected.inc({ operation, kind: fault.kind }),
  };
  const sweeper = setInterval(() => idempotency.sweep(), Math.min(config.SANDBOX_IDEMPOTENCY_RETENTION_MS, 60_000));
  sweeper.unref();

  const app = await ctx.createApp();
  app.addHook('preClose', async () => {
    closing.abort();
  });
  app.addHook('onClose', async () => {
    clearInterval(sweeper);
    await webhooks?.stop();
  });

  // Registered first so that its prefix wins over /v1's for the test routes.
  await app.register(
    async (test) => {
      installProviderErrors(test);
      test.addHook('preValidation', async (request) => {
        if (request.method === 'POST' && request.body === undefined) request.body = {};
      });
      testRoutes(test as ServiceApp, deps, faults);
    },
    { prefix: '/v1/test' },
  );
  await app.register(
    async (v1) => {
      installProviderErrors(v1);
      v1.addHook('onRequest', requireSecretKey(config.SANDBOX_SECRET_KEY));
      // A POST without a body (capture, cancel) means "no parameters", as at the provider.
      v1.addHook('preValidation', async (request) => {
        if (request.method === 'POST' && request.body === undefined) request.body = {};
      });
      paymentIntentRoutes(v1 as ServiceApp, deps, edge);
      refundRoutes(v1 as ServiceApp, deps, edge);
    },
    { prefix: '/v1' },
  );
  return app;
}
