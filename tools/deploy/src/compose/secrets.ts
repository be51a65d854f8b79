/**
 * The secrets of the compose system (deploy/compose), made fresh on the machine that runs it and
 * never committed: `deploy/compose/.env` (mode 0600), which compose reads to fill the `${…}` of
 * compose.yaml, and the RabbitMQ definitions the broker loads at boot.
 *
 * What is shared between parts comes from the same place as in the distributed mode (newSecrets,
 * oidcClientsOf in tools/cli services.ts); the per-service accounts follow least-privilege.ts:
 * each service a PostgreSQL role owning only its database (PostgreSQL gets the role's SCRAM
 * verifier, never the password) and a RabbitMQ user with the permissions of brokerGrantOf
 * (RabbitMQ gets a password hash, never the password).
 */
import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import path from 'node:path';
import {
  accountName,
  type BrokerNeeds,
  brokerGrantOf,
  type Links,
  newSecrets,
  oidcClientsOf,
  rabbitPasswordHash,
  SYSTEM,
  type SystemEntry,
  type SystemSecrets,
  scramSha256Verifier,
} from '@emporium/cli';
import { queueSpecOf } from '@emporium/service';

/** Names every account and database: `emporium_<service>` (accountName, databaseName). */
export const SYSTEM_NAME = 'emporium';
/** The topic exchange (the services' AMQP_EXCHANGE default). */
export const EXCHANGE = 'emporium';
/** The broker user for operators (rabbitmqctl needs none; the definitions replace the default guest). */
export const BROKER_ADMIN = 'admin';
export const DEFAULT_PUBLIC_URL = 'http://localhost:3000';

/** deploy/compose in this checkout. */
export const COMPOSE_DIR = path.resolve(import.meta.dirname, '../../../../deploy/compose');
export const ENV_FILE = '.env';
/** Relative to the compose directory; compose.yaml mounts it into the broker. */
export const DEFINITIONS_FILE = path.join('.secrets', 'rabbitmq-definitions.json');

/** A part's name as the prefix of its variables: `payment-provider` → `PAYMENT_PROVIDER`. */
export const envPrefixOf = (part: string) => part.toUpperCase().replace(/-/g, '_');

/** The port a part listens on in compose: its PORT default, as deploy/prometheus/prometheus.yml scrapes it. */
export function composePortOf(part: string): number {
  const entry = SYSTEM.find((e) => e.module.name === part);
  if (!entry) throw new Error(`no part of the system is called ${part}`);
  const port = (entry.module.configSchema as { PORT?: { default?: number } }).PORT?.default;
  if (port === undefined) throw new Error(`${part} has no default PORT`);
  return port;
}

/**
 * The links between parts under compose: each part at `http://<compose service>:<port>`, the
 * gateway at the public URL browsers use (the issuer is `<public URL>/oidc`).
 */
export function composeLinks(publicUrl: string, secrets: SystemSecrets): Links {
  return {
    secrets,
    port: (offset) => 3000 + offset,
    url: (service) => (service === 'gateway' ? publicUrl : `http://${service}:${composePortOf(service)}`),
  };
}

/** The parts that own a database (their module has migrations): each gets a role and a database. */
export const partsWithDatabase = (): SystemEntry[] => SYSTEM.filter((e) => e.module.migrations);

/** The parts that use the broker (their config has AMQP_URL; identity and the gateway do not). */
export const partsOnBroker = (): SystemEntry[] => SYSTEM.filter((e) => 'AMQP_URL' in e.module.configSchema);

/** What a part does on the broker, as start-distributed.ts derives it from the module. */
export function brokerNeedsOf(entry: SystemEntry): BrokerNeeds {
  const queue = queueSpecOf(entry.module, {});
  return { publishes: (entry.module.publishes ?? []).map((m) => m.type), ...(queue ? { queue: { bindings: queue.bindings } } : {}) };
}

export interface RabbitDefinitions {
  users: { name: string; password_hash: string; hashing_algorithm: string; tags: string }[];
  vhosts: { name: string }[];
  permissions: { user: string; vhost: string; configure: string; write: string; read: string }[];
  topic_permissions: { user: string; vhost: string; exchange: string; write: string; read: string }[];
  exchanges: {
    name: string;
    vhost: string;
    type: 'topic';
    durable: boolean;
    auto_delete: boolean;
    internal: boolean;
    arguments: Record<string, unknown>;
  }[];
}

export interface ComposeSecrets {
  /** The variables of deploy/compose/.env. */
  env: Record<string, string>;
  rabbitmqDefinitions: RabbitDefinitions;
}

export interface ComposeSecretsOptions {
  /** The gateway's public origin (redirect URIs, the issuer). Default http://localhost:3000. */
  publicUrl?: string;
  /** The shared secrets (default: fresh ones). */
  secrets?: SystemSecrets;
}

/** 256 random bits, URL-safe: passwords go into DATABASE_URL and AMQP_URL as they are. */
const newPassword = () => randomBytes(32).toString('base64url');

export function composeSecrets(options: ComposeSecretsOptions = {}): ComposeSecrets {
  const publicUrl = publicOriginOf(options.publicUrl ?? DEFAULT_PUBLIC_URL);
  const secrets = options.secrets ?? newSecrets();
  const links = composeLinks(publicUrl, secrets);
  const env: Record<string, string> = {
    EMPORIUM_PUBLIC_URL: publicUrl,
    POSTGRES_PASSWORD: newPassword(),
    RABBITMQ_ADMIN_PASSWORD: newPassword(),
    GRAFANA_ADMIN_PASSWORD: newPassword(),
    PROVIDER_SECRET_KEY: secrets.providerKey,
    PROVIDER_WEBHOOK_SECRET: secrets.providerWebhookSecret,
    PARTNER_WEBHOOK_SECRET: secrets.partnerSecret,
    IDENTITY_OIDC_JWKS: secrets.oidcJwks,
    IDENTITY_OIDC_COOKIE_KEYS: secrets.oidcCookieKeys.join(','),
    IDENTITY_OIDC_KEY_ENCRYPTION_KEY: secrets.oidcKeyEncryptionKey,
    IDENTITY_OIDC_CLIENTS: JSON.stringify(clientsFor(links)),
    BFF_TOKEN_KEYS: secrets.gatewayTokenKey,
    STOREFRONT_CLIENT_SECRET: secrets.clientSecrets.storefront,
    ADMIN_CONSOLE_CLIENT_SECRET: secrets.clientSecrets['admin-console'],
    ORDERS_CLIENT_SECRET: secrets.clientSecrets.orders,
    // Not used by compose.yaml: for whoever tries the example third-party app against this system.
    PARTNER_APP_CLIENT_SECRET: secrets.clientSecrets['partner-app'],
  };

  for (const entry of partsWithDatabase()) {
    const prefix = envPrefixOf(entry.module.name);
    const password = newPassword();
    env[`${prefix}_DB_PASSWORD`] = password;
    env[`PG_VERIFIER_${prefix}`] = scramSha256Verifier(password);
  }

  const vhost = '/';
  const adminPassword = env.RABBITMQ_ADMIN_PASSWORD as string;
  const definitions: RabbitDefinitions = {
    users: [{ name: BROKER_ADMIN, password_hash: rabbitPasswordHash(adminPassword), hashing_algorithm: HASHING, tags: 'administrator' }],
    vhosts: [{ name: vhost }],
    permissions: [{ user: BROKER_ADMIN, vhost, configure: '.*', write: '.*', read: '.*' }],
    topic_permissions: [],
    // The shared exchange is the operator's (here: the broker's, at boot), as createServiceAccounts
    // declares it as the administrator: the services only check it (AMQP_DECLARE_EXCHANGE=false),
    // so no user needs configure on it, which would also let it delete the exchange.
    exchanges: [{ name: EXCHANGE, vhost, type: 'topic', durable: true, auto_delete: false, internal: false, arguments: {} }],
  };
  for (const entry of partsOnBroker()) {
    const name = entry.module.name;
    const user = accountName(SYSTEM_NAME, name);
    const password = newPassword();
    env[`${envPrefixOf(name)}_AMQP_PASSWORD`] = password;
    const grant = brokerGrantOf(name, brokerNeedsOf(entry), { exchange: EXCHANGE });
    definitions.users.push({ name: user, password_hash: rabbitPasswordHash(password), hashing_algorithm: HASHING, tags: '' });
    definitions.permissions.push({ user, vhost, configure: grant.configure, write: grant.write, read: grant.read });
    for (const topic of grant.topics) definitions.topic_permissions.push({ user, vhost, ...topic });
  }
  return { env, rabbitmqDefinitions: definitions };
}

const HASHING = 'rabbit_password_hashing_sha256';

/**
 * The clients at the issuer as the distributed mode registers them, with one difference: the
 * back-channel logout URI is called by identity itself, so it names the gateway's address on the
 * compose network, not the public one (which, from inside a container, is nowhere).
 */
function clientsFor(links: Links): object[] {
  const internalGateway = `http://gateway:${composePortOf('gateway')}`;
  return oidcClientsOf(links).map((client) => {
    const uri = (client as { backchannel_logout_uri?: string }).backchannel_logout_uri;
    if (!uri) return client;
    const { pathname } = new URL(uri);
    return { ...client, backchannel_logout_uri: `${internalGateway}${pathname}` };
  });
}

function publicOriginOf(raw: string): string {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new Error(`public URL ${JSON.stringify(raw)} is not a URL`);
  }
  if (!['http:', 'https:'].includes(url.protocol) || url.origin !== raw.replace(/\/$/, ''))
    throw new Error(`public URL ${JSON.stringify(raw)} must be an origin such as https://shop.example.com (scheme, host, port; no path)`);
  return url.origin;
}

// --- files --------------------------------------------------------------------------------------

/**
 * The .env text. Every value single-quoted: docker compose and podman-compose (python-dotenv) both
 * take a single-quoted value literally, so the `$` of a SCRAM verifier is not read as a variable.
 */
export function formatEnvFile(env: Record<string, string>, generatedAt = new Date()): string {
  const lines = [
    `# Emporium under compose: secrets made by tools/deploy/src/compose/secrets.ts at ${generatedAt.toISOString()}.`,
    '# Never commit this file. Remake it with `npm run compose:secrets -- --force` (see README.md).',
  ];
  for (const [key, value] of Object.entries(env)) {
    if (!/^[A-Z][A-Z0-9_]*$/.test(key)) throw new Error(`${key} is not a variable name`);
    if (/['\r\n]/.test(value)) throw new Error(`${key}: a value with a quote or a line break cannot be written to .env`);
    lines.push(`${key}='${value}'`);
  }
  return `${lines.join('\n')}\n`;
}

/** Reads what formatEnvFile writes (and plain `KEY=value` lines). */
export function parseEnvFile(text: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const line of text.split(/\r?\n/)) {
    const trimmed = line.trim();
    if (!trimmed || trimmed.startsWith('#')) continue;
    const match = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/.exec(trimmed);
    if (!match) throw new Error(`not a KEY=value line: ${trimmed.slice(0, 40)}`);
    const raw = match[2] as string;
    env[match[1] as string] = /^'.*'$/.test(raw) || /^".*"$/.test(raw) ? raw.slice(1, -1) : raw;
  }
  return env;
}

export interface WriteOptions extends ComposeSecretsOptions {
  /** Replace secrets that exist (new passwords everywhere: see README.md before doing it on a system with data). */
  force?: boolean;
}

export interface WriteResult {
  written: boolean;
  envFile: string;
  definitionsFile: string;
}

/**
 * Writes `<dir>/.env` and `<dir>/.secrets/rabbitmq-definitions.json` unless both exist (they hold
 * the two halves of the same passwords, so they are only ever made together). Each file is
 * written beside its place and renamed into it, so a crash leaves the old file or the new one.
 */
export function writeComposeSecrets(dir: string, options: WriteOptions = {}): WriteResult {
  const envFile = path.join(dir, ENV_FILE);
  const definitionsFile = path.join(dir, DEFINITIONS_FILE);
  if (!options.force && existsSync(envFile) && existsSync(definitionsFile)) return { written: false, envFile, definitionsFile };

  const { env, rabbitmqDefinitions } = composeSecrets(options);
  const secretsDir = path.dirname(definitionsFile);
  mkdirSync(secretsDir, { recursive: true, mode: 0o700 });
  chmodSync(secretsDir, 0o700);
  // The broker reads the definitions as its own user (not the owner of this file): the file is
  // readable by all, the directory by the owner only, so on this machine nobody else reaches it.
  writeAtomically(definitionsFile, `${JSON.stringify(rabbitmqDefinitions, null, 2)}\n`, 0o644);
  writeAtomically(envFile, formatEnvFile(env), 0o600);
  return { written: true, envFile, definitionsFile };
}

function writeAtomically(file: string, text: string, mode: number): void {
  const temporary = `${file}.${process.pid}.tmp`;
  writeFileSync(temporary, text, { mode });
  chmodSync(temporary, mode); // the umask may have taken bits away
  renameSync(temporary, file);
}

export function readEnvFile(dir: string): Record<string, string> {
  return parseEnvFile(readFileSync(path.join(dir, ENV_FILE), 'utf8'));
}
