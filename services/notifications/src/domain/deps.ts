import type { Logger } from '@emporium/observability';
import type { NotificationsDb } from '../data-access/db.js';
import type { EmailSender, WebhookSender } from './ports.js';

export type SendChannel = 'email' | 'webhook';
export type AttemptOutcome = 'delivered' | 'failed' | 'parked';

/** Business counters the use cases move; app.ts backs them with Prometheus series. */
export interface NotificationsMetrics {
  attempt(channel: SendChannel, outcome: AttemptOutcome, seconds: number): void;
}

export const noMetrics: NotificationsMetrics = { attempt: () => {} };

/** What the delivery worker's use case receives: passed in from the composition root. */
export interface DeliveryDeps {
  db: NotificationsDb;
  email: EmailSender;
  webhook: WebhookSender;
  metrics: NotificationsMetrics;
  logger: Logger;
  retryScheduleMs: readonly number[];
  random?: () => number;
}
