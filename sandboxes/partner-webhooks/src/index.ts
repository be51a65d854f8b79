import { createLogger, createMetrics, type Logger } from '@emporium/observability';
import { createServiceApp, type ServiceModule } from '@emporium/service';
import { buildPartnerReceiver } from './app.js';
import { type PartnerWebhooksConfig, partnerWebhooksConfig } from './config.js';
import type { DeliveryLog } from './deliveries.js';
import type { PartnerSecrets } from './secrets.js';

/**
 * The partner webhook receiver: a test and development double of partner systems (not a service
 * of the system). It verifies Standard Webhooks signatures, records every delivery, and shows
 * them over HTTP with a deduplicated count; switchable faults. No database, no messages.
 */
export const partnerWebhooksModule: ServiceModule<unknown, PartnerWebhooksConfig> = {
  name: 'partner-webhooks',
  description:
    'Test double of partner systems: receives signed webhooks (Standard Webhooks), records them, lists them over HTTP; switchable faults',
  configSchema: partnerWebhooksConfig,
  async buildApp(ctx) {
    const { app } = await buildPartnerReceiver(() => ctx.createApp(), { partners: ctx.config.PARTNER_WEBHOOK_SECRETS });
    return app;
  },
};

export interface RunningPartnerReceiver {
  /** Base URL; a partner's endpoint is `${url}/hooks/<partner>`. */
  url: string;
  hookUrl(partner: string): string;
  secrets: PartnerSecrets;
  log: DeliveryLog;
  close(): Promise<void>;
}

/** Starts a receiver on loopback (port 0 by default, as tests want). */
export async function startPartnerReceiver(
  options: { port?: number; host?: string; partners?: Record<string, string>; logger?: Logger } = {},
): Promise<RunningPartnerReceiver> {
  const host = options.host ?? '127.0.0.1';
  const logger = options.logger ?? createLogger({ service: 'partner-webhooks', level: 'silent', pretty: false });
  const metrics = createMetrics('partner-webhooks', { defaultMetrics: false });
  const { app, secrets, log } = await buildPartnerReceiver(
    () => createServiceApp({ name: 'partner-webhooks', description: partnerWebhooksModule.description, logger, metrics }),
    { partners: options.partners },
  );
  const url = await app.listen({ port: options.port ?? 0, host });
  return { url, hookUrl: (partner) => `${url}/hooks/${partner}`, secrets, log, close: () => app.close() };
}

export { partnerWebhooksConfig, type PartnerWebhooksConfig };
export { buildPartnerReceiver, type PartnerReceiverParts } from './app.js';
export { DeliveryLog, distinctIds, type ReceivedDelivery } from './deliveries.js';
export { PartnerFaults, type PartnerFault } from './faults.js';
export { PartnerSecrets, parsePartnerSecrets } from './secrets.js';
