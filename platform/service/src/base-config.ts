import { bool, int, intList, oneOf, str, url } from '@emporium/config';

/** Settings every HTTP service has. */
export const httpConfig = (defaultPort: number) => ({
  PORT: int({ default: defaultPort, min: 0, max: 65535, description: 'TCP port of the HTTP server (0 picks a free one)' }),
  HOST: str({ default: '0.0.0.0', description: 'Address the HTTP server binds' }),
  LOG_LEVEL: oneOf(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const, {
    default: 'info',
    description: 'Lowest log level written',
  }),
  LOG_PRETTY: bool({ optional: true, description: 'Human-readable logs; defaults to on when stdout is a terminal' }),
  BODY_LIMIT_BYTES: int({ default: 65_536, min: 1_024, max: 10_485_760, description: 'Largest request body accepted (larger → 413)' }),
  SHUTDOWN_TIMEOUT_MS: int({
    default: 25_000,
    min: 1_000,
    max: 600_000,
    description: 'Longest drain of requests and messages on SIGTERM before a forced exit',
  }),
});

/** Settings of a service that owns a database. */
export const databaseConfig = () => ({
  DATABASE_URL: url({ protocols: ['postgres', 'postgresql'], secret: true, description: "PostgreSQL URL of this service's own database" }),
  DATABASE_POOL_SIZE: int({ default: 10, min: 1, max: 200, description: 'Connections in the pool' }),
});

/** Settings of a service that publishes or consumes messages. */
export const messagingConfig = () => ({
  AMQP_URL: url({
    protocols: ['amqp', 'amqps'],
    secret: true,
    optional: true,
    description: 'RabbitMQ URL (distributed mode); when unset, BROKER_DATABASE_URL selects the embedded transport',
  }),
  BROKER_DATABASE_URL: url({
    protocols: ['postgres', 'postgresql'],
    secret: true,
    optional: true,
    description: 'PostgreSQL URL of the embedded transport (embedded mode, when AMQP_URL is unset)',
  }),
  AMQP_EXCHANGE: str({ default: 'emporium', description: 'Topic exchange every message is published to' }),
  AMQP_DECLARE_EXCHANGE: bool({
    default: true,
    description:
      'Declare AMQP_EXCHANGE at start; false: only check it exists (the operator declares it, and the broker user needs no configure on it)',
  }),
  AMQP_QUEUE_PREFIX: str({
    optional: true,
    description: 'Prefix of the queue names (`<prefix>.<service>`), for several systems on one broker',
  }),
  OUTBOX_BATCH_SIZE: int({ default: 500, min: 1, max: 5_000, description: 'Messages the relay publishes per broker confirm window' }),
  OUTBOX_POLL_INTERVAL_MS: int({ default: 1_000, min: 10, max: 60_000, description: 'Relay poll when no NOTIFY arrives' }),
  CONSUMER_PREFETCH: int({ default: 16, min: 1, max: 1_000, description: 'Messages a consumer handles at once' }),
  CONSUMER_MAX_ATTEMPTS: int({ default: 5, min: 1, max: 100, description: 'Deliveries of a failing message before it is parked' }),
  CONSUMER_RETRY_DELAYS_MS: intList({
    default: [1_000, 5_000, 30_000, 120_000],
    min: 1,
    description: 'Backoff between attempts (comma-separated ms; the last repeats)',
  }),
});

/**
 * Settings of a service that checks callers' access tokens itself (zero trust: never a header from
 * the gateway). The issuer is identity's OpenID Connect provider; the audience is this service.
 */
export const authConfig = () => ({
  AUTH_ISSUER: url({
    protocols: ['http', 'https'],
    description: 'Issuer whose access tokens this service accepts (exact `iss`, e.g. https://shop.example.com/oidc)',
  }),
  AUTH_JWKS_URL: url({
    protocols: ['http', 'https'],
    optional: true,
    description: "Where the issuer's public keys are fetched (default <AUTH_ISSUER>/jwks; an internal address may be given)",
  }),
  AUTH_AUDIENCE: str({
    optional: true,
    description: 'The `aud` this service requires in access tokens (default: the service name, e.g. orders)',
  }),
  AUTH_CLOCK_TOLERANCE_SECONDS: int({ default: 5, min: 0, max: 60, description: 'Leeway for exp/nbf/iat when checking access tokens' }),
});

/**
 * Settings of a service that calls another with a client-credentials token (RFC 6749 §4.4): its
 * own client at the issuer; the token's audience is the callee.
 */
export const serviceClientConfig = () => ({
  AUTH_CLIENT_ID: str({ description: "This service's client id at the issuer (client credentials)" }),
  AUTH_CLIENT_SECRET: str({ secret: true, description: "This service's client secret at the issuer" }),
  AUTH_TOKEN_URL: url({
    protocols: ['http', 'https'],
    optional: true,
    description: "The issuer's token endpoint (default <AUTH_ISSUER>/token; an internal address may be given)",
  }),
});
