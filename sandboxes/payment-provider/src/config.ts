import { defineConfig, int, intList, list, str } from '@emporium/config';
import { httpConfig } from '@emporium/service';

/** The sandbox's settings, validated at start. It is a test double: nothing here is a real credential. */
export const paymentProviderConfig = defineConfig({
  ...httpConfig(4010),
  SANDBOX_SECRET_KEY: str({
    secret: true,
    minLength: 8,
    description: 'The API key callers send as `Authorization: Bearer <key>` (a test key, e.g. sk_test_…)',
  }),
  SANDBOX_WEBHOOK_URLS: list({
    optional: true,
    description: 'Comma-separated http(s) URLs every webhook event is POSTed to; none → no webhooks are sent',
  }),
  SANDBOX_WEBHOOK_SECRET: str({
    secret: true,
    optional: true,
    description: 'Standard Webhooks signing secret (`whsec_` + base64 of 24–64 bytes); required when SANDBOX_WEBHOOK_URLS is set',
  }),
  SANDBOX_IDEMPOTENCY_RETENTION_MS: int({
    default: 86_400_000,
    min: 1,
    description: 'How long an Idempotency-Key and its stored response are kept (then forgotten: the key may do something again)',
  }),
  SANDBOX_WEBHOOK_RETRY_DELAYS_MS: intList({
    default: [1_000, 5_000, 30_000, 120_000, 600_000],
    min: 1,
    description: 'Backoff between delivery attempts of one webhook (comma-separated ms; the last repeats)',
  }),
  SANDBOX_WEBHOOK_MAX_ATTEMPTS: int({
    default: 10,
    min: 1,
    max: 1_000,
    description: 'Delivery attempts of one webhook to one URL before it is given up',
  }),
  SANDBOX_WEBHOOK_TIMEOUT_MS: int({
    default: 10_000,
    min: 10,
    max: 300_000,
    description: 'How long one delivery attempt waits for the receiver to answer',
  }),
});

export type PaymentProviderConfig = typeof paymentProviderConfig;
