/**
 * What the cluster needs to know about each part of the system, read from the parts themselves
 * (tools/cli SYSTEM: the module, its config schema, its folder) plus the links between them in
 * a cluster: in-cluster addresses instead of loopback ports, third parties by URL.
 */
import { SYSTEM, type SystemEntry } from '@emporium/cli';
import type { ConfigSchema } from '@emporium/config';
import type { PartValues, Values } from './values.js';

/** Destinations outside the namespace a part may reach, each configured in values `network`. */
export type External = 'database' | 'broker' | 'paymentProvider' | 'smtp' | 'partners';

export interface Part {
  name: string;
  /** The package folder: the container runs `node <dir>/dist/main.js`. */
  dir: string;
  port: number;
  schema: ConfigSchema;
  sandbox: boolean;
  /** Owns a database: a migrate init container, DATABASE_URL, egress to PostgreSQL. */
  database: boolean;
  /** Talks to RabbitMQ (AMQP_URL). */
  broker: boolean;
  /** Has a queue of its own: KEDA scales it on that queue's length. */
  consumer: boolean;
  /** Other TCP ports besides `http` (the SMTP sink's SMTP side). */
  extraPorts: { name: string; port: number }[];
  /** Parts of the system it calls inside the namespace. */
  calls: string[];
  externals: External[];
  /** Non-secret settings linking it to the others (before the values' own `settings`). */
  settings: Record<string, string>;
  /** Settings the schema leaves optional that this deployment needs (the distributed mode's). */
  requiredHere: string[];
  /** Settings of the schema that have no place in a cluster (the embedded transport). */
  unused: string[];
  /** Its replicas, resources and settings from the values. */
  sizing: PartValues;
}

export const SMTP_SINK_SMTP_PORT = 2525;

export const internalUrl = (part: Pick<Part, 'name' | 'port'>) => `http://${part.name}:${part.port}`;

/** The parts this environment deploys: every service, and the sandboxes when values enable them. */
export function partsOf(values: Values): Part[] {
  const entries = SYSTEM.filter((e) => !e.sandbox || values.sandboxes.enabled);
  const byName = new Map(entries.map((e) => [e.module.name, e]));
  const portOf = (name: string) => {
    const entry = byName.get(name);
    if (!entry) throw new Error(`no part ${name} is deployed`);
    return defaultPort(entry);
  };
  const url = (name: string) => internalUrl({ name, port: portOf(name) });
  const sandboxes = values.sandboxes.enabled;
  const issuer = `${values.publicUrl}/oidc`;

  return entries.map((entry): Part => {
    const name = entry.module.name;
    const schema = entry.module.configSchema as ConfigSchema;
    const has = (key: string) => key in schema;
    const database = entry.module.migrations !== undefined && has('DATABASE_URL');
    const broker = has('AMQP_URL');
    const calls = new Set<string>();
    const externals = new Set<External>();
    const settings: Record<string, string> = {
      PORT: String(defaultPort(entry)),
      HOST: '0.0.0.0',
      LOG_LEVEL: values.logLevel,
      LOG_PRETTY: 'false',
      SHUTDOWN_TIMEOUT_MS: String(values.shutdownTimeoutMs),
    };
    const requiredHere: string[] = [];
    const unused: string[] = [];
    if (database) {
      externals.add('database');
      settings.DATABASE_POOL_SIZE = String(values.database.poolSize);
    }
    if (broker) {
      externals.add('broker');
      settings.AMQP_EXCHANGE = values.broker.exchange;
      if (values.broker.queuePrefix) settings.AMQP_QUEUE_PREFIX = values.broker.queuePrefix;
      // false when the operator declares the exchange, so a least-privilege user needs no configure on it.
      settings.AMQP_DECLARE_EXCHANGE = String(values.broker.declareExchange);
      requiredHere.push('AMQP_URL');
      unused.push('BROKER_DATABASE_URL');
    }
    if (has('AUTH_ISSUER')) {
      // Tokens carry the public issuer; the keys are fetched from identity directly.
      settings.AUTH_ISSUER = issuer;
      settings.AUTH_JWKS_URL = `${url('identity')}/oidc/jwks`;
      requiredHere.push('AUTH_JWKS_URL');
      calls.add('identity');
    }

    switch (name) {
      case 'gateway':
        for (const upstream of ['catalog', 'inventory', 'orders', 'payments', 'notifications', 'identity']) {
          settings[`${upstream.toUpperCase()}_URL`] = url(upstream);
          requiredHere.push(`${upstream.toUpperCase()}_URL`);
          calls.add(upstream);
        }
        settings.BFF_PUBLIC_URL = values.publicUrl;
        settings.BFF_ISSUER_INTERNAL_URL = `${url('identity')}/oidc`;
        // The ingress controller appends the client's address to X-Forwarded-For: one hop to trust.
        settings.GATEWAY_TRUSTED_PROXY_HOPS = '1';
        break;
      case 'orders':
        settings.AUTH_CLIENT_ID = 'orders';
        settings.AUTH_TOKEN_URL = `${url('identity')}/oidc/token`;
        settings.CATALOG_URL = url('catalog');
        calls.add('catalog');
        break;
      case 'payments':
        settings.PAYMENT_PROVIDER_URL = sandboxes ? url('payment-provider') : values.thirdParties.paymentProviderUrl;
        if (sandboxes) calls.add('payment-provider');
        else externals.add('paymentProvider');
        break;
      case 'notifications':
        // SMTP_URL is a Secret (it may carry credentials); in dev it names the sandbox.
        if (sandboxes) {
          calls.add('smtp-sink');
          calls.add('partner-webhooks');
        } else {
          externals.add('smtp');
          externals.add('partners');
        }
        break;
      case 'identity':
        // Behind the gateway, which appends the client's address to X-Forwarded-For.
        settings.IDENTITY_TRUSTED_PROXY_HOPS = '1';
        settings.IDENTITY_ISSUER = issuer;
        // With an issuer the provider needs its cookie keys, key encryption key and clients.
        requiredHere.push('IDENTITY_ISSUER', 'IDENTITY_OIDC_COOKIE_KEYS', 'IDENTITY_OIDC_KEY_ENCRYPTION_KEY', 'IDENTITY_OIDC_CLIENTS');
        // OIDC Back-Channel Logout: the provider tells the gateway when a sign-on session ends.
        calls.add('gateway');
        break;
      case 'payment-provider':
        // Webhooks go straight to payments here; a real provider reaches it through the Ingress.
        settings.SANDBOX_WEBHOOK_URLS = `${url('payments')}/api/payments/webhooks/provider`;
        requiredHere.push('SANDBOX_WEBHOOK_SECRET');
        calls.add('payments');
        break;
      case 'smtp-sink':
        settings.SMTP_SINK_SMTP_PORT = String(SMTP_SINK_SMTP_PORT);
        break;
    }

    const sizing = partValues(values, entry);
    for (const [key, value] of Object.entries(sizing.settings)) settings[key] = value;
    for (const key of Object.keys(settings)) {
      const field = schema[key];
      if (!field) throw new Error(`${name}: setting ${key} is not in its config schema`);
      if (field.secret) throw new Error(`${name}: ${key} is a secret: it belongs in the Secret emporium-${name}, not in values`);
      try {
        field.parse(settings[key] as string);
      } catch (error) {
        throw new Error(`${name}: setting ${key}: ${(error as Error).message}`);
      }
    }
    for (const key of [...requiredHere, ...unused]) if (!has(key)) throw new Error(`${name}: ${key} is not in its config schema`);

    return {
      name,
      dir: entry.dir,
      port: defaultPort(entry),
      schema,
      sandbox: entry.sandbox === true,
      database,
      broker,
      consumer: broker && entry.module.consumes !== undefined,
      extraPorts: name === 'smtp-sink' ? [{ name: 'smtp', port: SMTP_SINK_SMTP_PORT }] : [],
      calls: [...calls].filter((c) => byName.has(c)),
      externals: [...externals],
      settings,
      requiredHere,
      unused,
      sizing,
    };
  });
}

function partValues(values: Values, entry: SystemEntry) {
  const name = entry.module.name;
  const found = entry.sandbox ? values.sandboxParts[name] : values.services[name];
  if (!found) throw new Error(`values: no entry for ${name} under ${entry.sandbox ? 'sandboxParts' : 'services'}`);
  return found;
}

/** The service's port is its schema's PORT default (3000 + n; the sandboxes 40n0). */
function defaultPort(entry: SystemEntry): number {
  const port = (entry.module.configSchema as ConfigSchema).PORT?.default;
  if (typeof port !== 'number') throw new Error(`${entry.module.name}: its config schema has no PORT default`);
  return port;
}

/** Settings the schema holds as secrets and this deployment uses: each a key of the Secret emporium-<name>. */
export function secretKeysOf(part: Part): { key: string; required: boolean }[] {
  return Object.entries(part.schema)
    .filter(([key, field]) => field.secret && !part.unused.includes(key))
    .map(([key, field]) => ({ key, required: (field.default === undefined && !field.optional) || part.requiredHere.includes(key) }));
}

export const secretNameOf = (part: Pick<Part, 'name'>) => `emporium-${part.name}`;
