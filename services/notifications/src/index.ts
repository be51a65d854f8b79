import type { BackgroundJob, ServiceModule } from '@emporium/service';
import { buildNotificationsApp, type NotificationsContext, notificationsMetrics } from './app.js';
import { type NotificationsConfig, notificationsConfig } from './config.js';
import { notificationsMigrations } from './data-access/migrations/index.js';
import type { NotificationsDatabase } from './data-access/tables.js';
import { startDeliveryWorker } from './entry-points/jobs/delivery-worker.js';
import { consumedMessages, notificationHandlers } from './entry-points/messaging/handlers.js';
import { createSmtpEmailSender } from './outbound/smtp-email-sender.js';
import { createWebhookSender } from './outbound/webhook-sender.js';

function deliveryJobs(ctx: NotificationsContext): BackgroundJob[] {
  const c = ctx.config;
  if (!c.NOTIFICATIONS_WORKER_ENABLED) return [];
  const email = createSmtpEmailSender({ url: c.SMTP_URL, from: c.NOTIFICATIONS_FROM, timeoutMs: c.NOTIFICATIONS_SMTP_TIMEOUT_MS });
  const worker = startDeliveryWorker({
    deps: {
      db: ctx.db,
      email,
      webhook: createWebhookSender({ timeoutMs: c.NOTIFICATIONS_WEBHOOK_TIMEOUT_MS }),
      metrics: notificationsMetrics(ctx),
      logger: ctx.logger,
      retryScheduleMs: c.NOTIFICATIONS_RETRY_SCHEDULE_MS,
    },
    logger: ctx.logger,
    leaseMs: c.NOTIFICATIONS_LEASE_MS,
    pollIntervalMs: c.NOTIFICATIONS_POLL_INTERVAL_MS,
    concurrency: c.NOTIFICATIONS_WORKER_CONCURRENCY,
  });
  return [
    {
      async stop() {
        await worker.stop();
        email.close();
      },
    },
  ];
}

/**
 * The notifications service: on an order confirmed or cancelled, or a refund, the customer gets
 * an e-mail and a feed entry, and every registered partner a signed webhook — each exactly once
 * as the receiver sees it (stable ids the receiver deduplicates on; retries for days, then parked).
 */
export const notificationsModule: ServiceModule<NotificationsDatabase, NotificationsConfig> = {
  name: 'notifications',
  description: 'Customer e-mail, signed partner webhooks and the in-app feed, each exactly once per order event as the receiver sees it',
  configSchema: notificationsConfig,
  migrations: notificationsMigrations,
  consumes: { definitions: consumedMessages, handlers: notificationHandlers },
  buildApp: buildNotificationsApp,
  jobs: deliveryJobs,
};

export { notificationsConfig, type NotificationsConfig };
export { notificationsMigrations };
export type { NotificationsDatabase };
export { deliveryIdOf, notificationIdOf, messageIdOf, uuidV5 } from './domain/stable-id.js';
export { WEBHOOK_TYPES } from './domain/notification-content.js';
