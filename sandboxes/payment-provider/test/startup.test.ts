import path from 'node:path';
import { ConfigError } from '@emporium/config';
import { startService } from '@emporium/service';
import { freePort, spawnTs } from '@emporium/testing';
import { describe, expect, it } from 'vitest';
import { paymentProviderModule, startPaymentProvider } from '../src/index.js';
import { aWebhookSecret } from './support.js';

const MAIN = path.join(import.meta.dirname, '../src/main.ts');

describe('configuration', () => {
  it('when webhook URLs are set without a secret, then the start stops with a ConfigError naming SANDBOX_WEBHOOK_SECRET', async () => {
    const error = await startPaymentProvider({ SANDBOX_WEBHOOK_URLS: 'http://127.0.0.1:9/hooks' }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as ConfigError).variable).toBe('SANDBOX_WEBHOOK_SECRET');
  });

  it('when the webhook secret is not whsec_ + base64 of 24–64 bytes, then the start stops without echoing it', async () => {
    const error = await startPaymentProvider({
      SANDBOX_WEBHOOK_URLS: 'http://127.0.0.1:9/hooks',
      SANDBOX_WEBHOOK_SECRET: 'whsec_c2hvcnQ=',
    }).catch((e: unknown) => e);
    expect((error as ConfigError).variable).toBe('SANDBOX_WEBHOOK_SECRET');
    expect((error as Error).message).not.toContain('c2hvcnQ');
  });

  it('when a webhook URL is not http(s), then the start stops naming SANDBOX_WEBHOOK_URLS', async () => {
    const error = await startPaymentProvider({
      SANDBOX_WEBHOOK_URLS: 'ftp://example.test/x',
      SANDBOX_WEBHOOK_SECRET: aWebhookSecret(),
    }).catch((e: unknown) => e);
    expect((error as ConfigError).variable).toBe('SANDBOX_WEBHOOK_URLS');
  });

  it('when no secret key is configured, then the start stops naming SANDBOX_SECRET_KEY', async () => {
    const error = await startService(paymentProviderModule, { env: { PORT: '0', LOG_LEVEL: 'silent' } }).catch((e: unknown) => e);
    expect((error as ConfigError).variable).toBe('SANDBOX_SECRET_KEY');
  });
});

describe('main.ts', () => {
  it('when started as a process, then it serves the API on PORT, logs no secret key, and exits 0 on SIGTERM', async () => {
    const port = await freePort();
    const key = 'sk_test_main_process';
    const child = spawnTs(MAIN, { PORT: String(port), HOST: '127.0.0.1', SANDBOX_SECRET_KEY: key, LOG_LEVEL: 'info', LOG_PRETTY: 'false' });
    try {
      await child.waitForLine(/payment-provider started/);
      expect((await fetch(`http://127.0.0.1:${port}/healthz`)).status).toBe(200);
      const created = await fetch(`http://127.0.0.1:${port}/v1/payment_intents`, {
        method: 'POST',
        headers: { authorization: `Bearer ${key}`, 'content-type': 'application/json' },
        body: JSON.stringify({
          amount: 100,
          currency: 'eur',
          payment_method: 'pm_card_visa',
          capture_method: 'manual',
          confirm: true,
          metadata: { order_id: 'o-main' },
        }),
      });
      expect(created.status).toBe(200);
      expect(child.output()).not.toContain(key);
      expect(child.output()).not.toContain('pm_card_visa');
    } finally {
      expect(await child.kill('SIGTERM')).toBe(0);
    }
  });
});
