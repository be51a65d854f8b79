import { ConfigError } from '@emporium/config';
import type { ServiceApp, ServiceContext } from '@emporium/service';
import type { NotificationsConfig } from './config.js';
import { countOutstanding } from './data-access/deliveries-repository.js';
import type { NotificationsDatabase } from './data-access/tables.js';
import type { NotificationsMetrics } from './domain/deps.js';
import { syncEndpointsFromConfig } from './domain/sync-configured-endpoints.js';
import { deliveryRoutes } from './entry-points/http/deliveries-routes.js';
import { endpointRoutes } from './entry-points/http/endpoints-routes.js';
import { feedRoutes } from './entry-points/http/feed-routes.js';

export type NotificationsContext = ServiceContext<NotificationsDatabase, NotificationsConfig>;

/**
 * The notifications metrics. Label values are channels and outcomes, never ids. Registering twice
 * returns the same series (app and worker share them).
 */
export function notificationsMetrics(ctx: NotificationsContext): NotificationsMetrics {
  const deliveries = ctx.metrics.counter(
    'emporium_notifications_deliveries_total',
    'Delivery attempts by channel and outcome: delivered, failed (will be retried), parked (given up)',
    ['channel', 'outcome'],
  );
  const parked = ctx.metrics.counter(
    'emporium_notifications_parked_total',
    'Deliveries given up after their retry schedule (or refused for good)',
    ['channel'],
  );
  const duration = ctx.metrics.histogram(
    'emporium_notifications_attempt_duration_seconds',
    'Time of one delivery attempt, until the receiver answered or the timeout',
    ['channel'],
    [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30],
  );
  // Every series exists from the start at 0, so rate() and increase() alerts see the first event.
  for (const channel of ['email', 'webhook'] as const) {
    parked.inc({ channel }, 0);
    for (const outcome of ['delivered', 'failed', 'parked'] as const) deliveries.inc({ channel, outcome }, 0);
  }
  return {
    attempt(channel, outcome, seconds) {
      deliveries.inc({ channel, outcome });
      if (outcome === 'parked') parked.inc({ channel });
      duration.observe({ channel }, seconds);
    },
  };
}

/** A lease shorter than a send would let a second worker send while the first still waits. */
export function checkLease(config: NotificationsContext['config']): void {
  const longest = Math.max(config.NOTIFICATIONS_SMTP_TIMEOUT_MS * 3, config.NOTIFICATIONS_WEBHOOK_TIMEOUT_MS);
  if (config.NOTIFICATIONS_LEASE_MS <= longest) {
    throw new ConfigError(
      'NOTIFICATIONS_LEASE_MS',
      `must exceed the longest send (${longest} ms: three times NOTIFICATIONS_SMTP_TIMEOUT_MS, or NOTIFICATIONS_WEBHOOK_TIMEOUT_MS)`,
    );
  }
}

/** The notifications HTTP app: the customer's feed, the partner endpoint registry, the deliveries. Never listens. */
export async function buildNotificationsApp(ctx: NotificationsContext): Promise<ServiceApp> {
  checkLease(ctx.config);
  await syncEndpointsFromConfig(ctx.db, ctx.config.NOTIFICATIONS_PARTNER_ENDPOINTS ?? []);
  notificationsMetrics(ctx);
  const db = ctx.db;
  ctx.metrics.gauge(
    'emporium_notifications_pending',
    'Deliveries not yet delivered nor given up (due, retrying, or e-mail waiting for its address)',
    ['channel'],
    async function () {
      // A database away must not take /metrics down with it: the gauge keeps its last value.
      const counts = await countOutstanding(db).catch(() => undefined);
      if (!counts) return;
      this.set({ channel: 'email' }, counts.email);
      this.set({ channel: 'webhook' }, counts.webhook);
    },
  );
  const app = await ctx.createApp();
  feedRoutes(app, db);
  endpointRoutes(app, db);
  deliveryRoutes(app, db);
  return app;
}
