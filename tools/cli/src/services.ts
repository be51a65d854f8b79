import { randomBytes } from 'node:crypto';
import { catalogModule } from '@emporium/catalog';
import { gatewayModule } from '@emporium/gateway';
import { identityModule } from '@emporium/identity';
import { inventoryModule } from '@emporium/inventory';
import { notificationsModule } from '@emporium/notifications';
import { ordersModule } from '@emporium/orders';
import { paymentsModule } from '@emporium/payments';
import { partnerWebhooksModule } from '@emporium/sandbox-partner-webhooks';
import { paymentProviderModule } from '@emporium/sandbox-payment-provider';
import { smtpSinkModule } from '@emporium/sandbox-smtp-sink';
import type { ServiceModule } from '@emporium/service';

/** Secrets the system shares between its parts, made fresh for each start (never in the repo). */
export interface SystemSecrets {
  providerKey: string;
  providerWebhookSecret: string;
  partnerSecret: string;
}

export function newSecrets(): SystemSecrets {
  const whsec = () => `whsec_${randomBytes(32).toString('base64')}`;
  return { providerKey: `sk_test_${randomBytes(18).toString('hex')}`, providerWebhookSecret: whsec(), partnerSecret: whsec() };
}

export interface Links {
  url(service: string): string;
  port(offset: number): number;
  secrets: SystemSecrets;
}

/**
 * Every part of the system, in start order: the doubles of third parties first, the gateway
 * last. `offset` is added to the port base; `env` gives the settings that link a part to others.
 */
export interface SystemEntry {
  module: ServiceModule<any, any>;
  /** Folder of the package, for the distributed mode's `node <dir>/dist/main.js`. */
  dir: string;
  offset: number;
  env?: (links: Links) => Record<string, string>;
  /** Settings only the embedded mode sets (demo data). */
  demoEnv?: Record<string, string>;
  /** A test double of a third party (payment provider, SMTP, partner systems). */
  sandbox?: boolean;
}

export const SYSTEM: SystemEntry[] = [
  {
    module: paymentProviderModule,
    dir: 'sandboxes/payment-provider',
    offset: 10,
    sandbox: true,
    env: (l) => ({
      SANDBOX_SECRET_KEY: l.secrets.providerKey,
      SANDBOX_WEBHOOK_URLS: `${l.url('payments')}/api/payments/webhooks/provider`,
      SANDBOX_WEBHOOK_SECRET: l.secrets.providerWebhookSecret,
    }),
  },
  {
    module: smtpSinkModule,
    dir: 'sandboxes/smtp-sink',
    offset: 25,
    sandbox: true,
    env: (l) => ({ SMTP_SINK_SMTP_PORT: String(l.port(26)) }),
  },
  {
    module: partnerWebhooksModule,
    dir: 'sandboxes/partner-webhooks',
    offset: 30,
    sandbox: true,
    env: (l) => ({ PARTNER_WEBHOOK_SECRETS: `demo-partner=${l.secrets.partnerSecret}` }),
  },
  { module: catalogModule, dir: 'services/catalog', offset: 1, demoEnv: { CATALOG_SEED_DEMO: 'true' } },
  { module: inventoryModule, dir: 'services/inventory', offset: 2 },
  {
    module: paymentsModule,
    dir: 'services/payments',
    offset: 4,
    env: (l) => ({
      PAYMENT_PROVIDER_URL: l.url('payment-provider'),
      PAYMENT_PROVIDER_SECRET_KEY: l.secrets.providerKey,
      PAYMENT_PROVIDER_WEBHOOK_SECRET: l.secrets.providerWebhookSecret,
    }),
  },
  { module: ordersModule, dir: 'services/orders', offset: 3, env: (l) => ({ CATALOG_URL: l.url('catalog') }) },
  {
    module: notificationsModule,
    dir: 'services/notifications',
    offset: 5,
    env: (l) => ({
      SMTP_URL: `smtp://127.0.0.1:${l.port(26)}`,
      NOTIFICATIONS_PARTNER_ENDPOINTS: `demo-partner|${l.url('partner-webhooks')}/hooks/demo-partner|${l.secrets.partnerSecret}`,
    }),
  },
  // Behind the gateway, which appends the client's address to X-Forwarded-For: one hop to trust.
  { module: identityModule, dir: 'services/identity', offset: 6, env: () => ({ IDENTITY_TRUSTED_PROXY_HOPS: '1' }) },
  {
    module: gatewayModule,
    dir: 'services/gateway',
    offset: 0,
    env: (l) => ({
      CATALOG_URL: l.url('catalog'),
      INVENTORY_URL: l.url('inventory'),
      ORDERS_URL: l.url('orders'),
      PAYMENTS_URL: l.url('payments'),
      NOTIFICATIONS_URL: l.url('notifications'),
      IDENTITY_URL: l.url('identity'),
    }),
  },
];

/** Kept for the commands that list only the services (migrate, config-docs). */
export const SERVICES = SYSTEM;

export const databaseName = (service: string) => `emporium_${service.replace(/-/g, '_')}`;
export const BROKER_DATABASE = 'emporium_broker';

export function linksFor(portBase: number, secrets: SystemSecrets): Links {
  const byName = new Map(SYSTEM.map((e) => [e.module.name, e]));
  return {
    secrets,
    port: (offset) => portBase + offset,
    url: (service) => {
      const entry = byName.get(service);
      if (!entry) throw new Error(`no part of the system is called ${service}`);
      return `http://127.0.0.1:${portBase + entry.offset}`;
    },
  };
}
