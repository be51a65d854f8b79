import { generateKeyPairSync, randomBytes, randomUUID } from 'node:crypto';
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
  /** Identity's private signing keys (a JWKS, JSON): ES256 on P-256. */
  oidcJwks: string;
  /** Keys signing the OpenID provider's cookies. */
  oidcCookieKeys: string[];
  /** Encrypts identity's signing keys at rest (AES-256-GCM, 32 bytes base64). */
  oidcKeyEncryptionKey: string;
  /** Encrypts the tokens the gateway keeps for browser sessions (AES-256-GCM, 32 bytes base64url). */
  gatewayTokenKey: string;
  /** Client secrets at the issuer, by client id (the gateway's two apps, the example third party, services). */
  clientSecrets: Record<'storefront' | 'admin-console' | 'partner-app' | 'orders', string>;
}

export function newSecrets(): SystemSecrets {
  const whsec = () => `whsec_${randomBytes(32).toString('base64')}`;
  const secret = () => randomBytes(32).toString('base64url');
  const { privateKey } = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const signingKey = { ...privateKey.export({ format: 'jwk' }), kid: `es256-${randomUUID().slice(0, 8)}`, alg: 'ES256', use: 'sig' };
  return {
    providerKey: `sk_test_${randomBytes(18).toString('hex')}`,
    providerWebhookSecret: whsec(),
    partnerSecret: whsec(),
    oidcJwks: JSON.stringify({ keys: [signingKey] }),
    oidcCookieKeys: [secret(), secret()],
    oidcKeyEncryptionKey: randomBytes(32).toString('base64'),
    gatewayTokenKey: randomBytes(32).toString('base64url'),
    clientSecrets: { storefront: secret(), 'admin-console': secret(), 'partner-app': secret(), orders: secret() },
  };
}

/** The issuer every service trusts: identity's OpenID provider, public behind the gateway at /oidc. */
export const issuerOf = (l: Links) => `${l.url('gateway')}/oidc`;

/** What every service needs to check access tokens itself: the issuer, and its keys at an internal address. */
const authEnv = (l: Links) => ({ AUTH_ISSUER: issuerOf(l), AUTH_JWKS_URL: `${l.url('identity')}/oidc/jwks` });

/** A service's own client at the issuer, for client-credentials tokens to call another service. */
const serviceClientEnv = (l: Links, clientId: keyof SystemSecrets['clientSecrets']) => ({
  AUTH_CLIENT_ID: clientId,
  AUTH_CLIENT_SECRET: l.secrets.clientSecrets[clientId],
  AUTH_TOKEN_URL: `${l.url('identity')}/oidc/token`,
});

/**
 * The clients registered at the issuer: the storefront and the admin console (both run by the
 * gateway as backends-for-frontend, first party), an example third-party app, and the services
 * that call another service (client credentials, scopes `<callee>:<operation>`).
 */
export function oidcClientsOf(l: Links): object[] {
  const gateway = l.url('gateway');
  const app = (clientId: 'storefront' | 'admin-console', path: string) => ({
    client_id: clientId,
    client_secret: l.secrets.clientSecrets[clientId],
    grant_types: ['authorization_code', 'refresh_token'],
    redirect_uris: [`${gateway}${path}/auth/callback`],
    post_logout_redirect_uris: [`${gateway}${path}/`],
    // OIDC Back-Channel Logout: the provider tells the gateway (at its internal address) when a
    // single sign-on session ends, and the gateway ends that user's session of this app.
    backchannel_logout_uri: `${gateway}${path}/auth/backchannel-logout`,
    first_party: true,
  });
  return [
    app('storefront', ''),
    app('admin-console', '/admin'),
    {
      client_id: 'partner-app',
      client_secret: l.secrets.clientSecrets['partner-app'],
      grant_types: ['authorization_code', 'refresh_token'],
      redirect_uris: [`http://127.0.0.1:${l.port(31)}/callback`],
    },
    { client_id: 'orders', client_secret: l.secrets.clientSecrets.orders, grant_types: ['client_credentials'], scope: 'catalog:prices' },
  ];
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
  { module: catalogModule, dir: 'services/catalog', offset: 1, demoEnv: { CATALOG_SEED_DEMO: 'true' }, env: (l) => authEnv(l) },
  { module: inventoryModule, dir: 'services/inventory', offset: 2, env: (l) => authEnv(l) },
  {
    module: paymentsModule,
    dir: 'services/payments',
    offset: 4,
    env: (l) => ({
      ...authEnv(l),
      PAYMENT_PROVIDER_URL: l.url('payment-provider'),
      PAYMENT_PROVIDER_SECRET_KEY: l.secrets.providerKey,
      PAYMENT_PROVIDER_WEBHOOK_SECRET: l.secrets.providerWebhookSecret,
    }),
  },
  {
    module: ordersModule,
    dir: 'services/orders',
    offset: 3,
    env: (l) => ({ ...authEnv(l), ...serviceClientEnv(l, 'orders'), CATALOG_URL: l.url('catalog') }),
  },
  {
    module: notificationsModule,
    dir: 'services/notifications',
    offset: 5,
    env: (l) => ({
      ...authEnv(l),
      SMTP_URL: `smtp://127.0.0.1:${l.port(26)}`,
      NOTIFICATIONS_PARTNER_ENDPOINTS: `demo-partner|${l.url('partner-webhooks')}/hooks/demo-partner|${l.secrets.partnerSecret}`,
    }),
  },
  // Behind the gateway, which appends the client's address to X-Forwarded-For: one hop to trust.
  {
    module: identityModule,
    dir: 'services/identity',
    offset: 6,
    env: (l) => ({
      ...authEnv(l),
      IDENTITY_TRUSTED_PROXY_HOPS: '1',
      IDENTITY_ISSUER: issuerOf(l),
      IDENTITY_OIDC_JWKS: l.secrets.oidcJwks,
      IDENTITY_OIDC_COOKIE_KEYS: l.secrets.oidcCookieKeys.join(','),
      IDENTITY_OIDC_KEY_ENCRYPTION_KEY: l.secrets.oidcKeyEncryptionKey,
      IDENTITY_OIDC_CLIENTS: JSON.stringify(oidcClientsOf(l)),
    }),
  },
  {
    module: gatewayModule,
    dir: 'services/gateway',
    offset: 0,
    env: (l) => ({
      ...authEnv(l),
      CATALOG_URL: l.url('catalog'),
      INVENTORY_URL: l.url('inventory'),
      ORDERS_URL: l.url('orders'),
      PAYMENTS_URL: l.url('payments'),
      NOTIFICATIONS_URL: l.url('notifications'),
      IDENTITY_URL: l.url('identity'),
      // The backend-for-frontend: public URL (redirect URIs), the issuer at its internal address, its two clients.
      BFF_PUBLIC_URL: l.url('gateway'),
      BFF_ISSUER_INTERNAL_URL: `${l.url('identity')}/oidc`,
      BFF_STOREFRONT_CLIENT_SECRET: l.secrets.clientSecrets.storefront,
      BFF_ADMIN_CLIENT_SECRET: l.secrets.clientSecrets['admin-console'],
      BFF_TOKEN_KEYS: l.secrets.gatewayTokenKey,
      // The system's tools (tests, the load generator, the benchmark) drive the gateway from one address.
      GATEWAY_RATE_LIMIT_MAX: '100000',
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
