import { bool, type ConfigOf, defineConfig, type Field, int, intList, str, url } from '@emporium/config';
import { authConfig, databaseConfig, httpConfig, messagingConfig } from '@emporium/service';
import { type ConfiguredEndpoint, parseConfiguredEndpoints } from './domain/configured-endpoints.js';

const partnerEndpoints: Field<ConfiguredEndpoint[]> = {
  kind: 'partner-endpoints',
  description:
    'Partner webhook endpoints kept in step with this setting at start (more are registered with POST /api/notifications/endpoints): ' +
    'a JSON array [{"partner":"acme","url":"https://…","secret":"whsec_…"}] or a list acme|https://…|whsec_…,beta|…',
  secret: true,
  optional: true,
  parse: parseConfiguredEndpoints,
  describeType: () => 'JSON array or partner|url|secret list',
};

/** The notifications service's settings, validated at start (`npm run docs:config` prints them). */
export const notificationsConfig = defineConfig({
  ...httpConfig(3005),
  ...authConfig(),
  ...databaseConfig(),
  ...messagingConfig(),
  SMTP_URL: url({
    protocols: ['smtp', 'smtps'],
    secret: true,
    description: 'Mail server for customer e-mail, e.g. smtp://127.0.0.1:2525 (the SMTP sink); may carry user:password',
  }),
  NOTIFICATIONS_FROM: str({
    default: 'Emporium <no-reply@emporium.local>',
    minLength: 3,
    description: 'From address of customer e-mail; its domain also ends every Message-ID',
  }),
  NOTIFICATIONS_SMTP_TIMEOUT_MS: int({
    default: 30_000,
    min: 10,
    max: 600_000,
    description:
      'Longest wait for the mail server (connect, greeting, each reply); then the attempt counts as failed and is retried with the same Message-ID',
  }),
  NOTIFICATIONS_WEBHOOK_TIMEOUT_MS: int({
    default: 10_000,
    min: 10,
    max: 600_000,
    description: 'Longest wait for a partner endpoint’s answer; then the attempt counts as failed and is retried with the same webhook-id',
  }),
  NOTIFICATIONS_RETRY_SCHEDULE_MS: intList({
    default: [5_000, 60_000, 600_000, 3_600_000, 21_600_000, 86_400_000, 86_400_000, 86_400_000],
    min: 1,
    description:
      'Wait after each failed attempt (comma-separated ms, ±10% jitter); when the schedule is used up, the delivery is parked. The default retries for about 3 days',
  }),
  NOTIFICATIONS_LEASE_MS: int({
    default: 120_000,
    min: 20,
    max: 3_600_000,
    description: 'How long a worker owns a delivery it took; a worker that dies releases it after this. Must exceed both send timeouts',
  }),
  NOTIFICATIONS_POLL_INTERVAL_MS: int({
    default: 1_000,
    min: 10,
    max: 60_000,
    description: 'How often the delivery worker looks for due deliveries',
  }),
  NOTIFICATIONS_WORKER_CONCURRENCY: int({ default: 16, min: 1, max: 500, description: 'Deliveries one replica sends at once' }),
  NOTIFICATIONS_WORKER_ENABLED: bool({
    default: true,
    description: 'Run the delivery worker in this replica (off: HTTP and message consumption only)',
  }),
  NOTIFICATIONS_PARTNER_ENDPOINTS: partnerEndpoints,
});

export type NotificationsConfig = typeof notificationsConfig;
export type NotificationsSettings = ConfigOf<NotificationsConfig>;
