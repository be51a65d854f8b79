/**
 * Telemetry is safe (STYLE.md §13; test 3 of the Observability issue): with every part of the
 * system logging at debug level, a checkout and a declined card leave no card token, provider API
 * key, webhook signing secret, partner secret or broker password in any part's output, nor in any
 * part's /metrics.
 */
import { randomUUID } from 'node:crypto';
import { testAmqpUrl } from '@emporium/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { SYSTEM } from '../src/services.js';
import { startTestSystem, type TestSystem } from './support/distributed.js';
import { scrapeAll } from './support/metrics.js';
import { checkout, DEMO_SKUS, orderBody, waitForMail, waitForPartnerHooks, waitForStatus } from './support/shop.js';

/** What the harness keeps of a part's output (start-distributed.ts): past it, the start would be lost. */
const OUTPUT_LIMIT = 200_000;
const PARTS = SYSTEM.map((e) => e.module.name);

describe('no secret in any output, distributed, every part at debug level', () => {
  let system: TestSystem;
  let stopped = false;

  beforeAll(async () => {
    system = await startTestSystem({ env: Object.fromEntries(PARTS.map((p) => [p, { LOG_LEVEL: 'debug' }])) });
  }, 180_000);

  afterAll(async () => {
    if (!stopped) await system?.stop();
  }, 60_000);

  /** Every form in which a secret could be written: as configured, and its key without the prefix. */
  function secrets(): Record<string, string> {
    const amqp = new URL(testAmqpUrl());
    const { providerKey, providerWebhookSecret, partnerSecret } = system.secrets;
    return {
      'card token (authorized)': 'pm_card_visa',
      'card token (declined)': 'pm_card_chargeDeclined',
      'provider API key': providerKey,
      'provider webhook signing secret': providerWebhookSecret,
      'provider webhook signing key': providerWebhookSecret.replace(/^whsec_/, ''),
      'partner webhook secret': partnerSecret,
      'partner webhook signing key': partnerSecret.replace(/^whsec_/, ''),
      'broker password in a URL': `${decodeURIComponent(amqp.username)}:${decodeURIComponent(amqp.password)}@`,
    };
  }

  function leaks(text: string): string[] {
    return Object.entries(secrets())
      .filter(([, value]) => text.includes(value))
      .map(([what]) => what);
  }

  it('when a customer checks out and another’s card is declined, then no part writes a token, a secret or a password, in its logs or its metrics', async () => {
    const good = orderBody({ sku: DEMO_SKUS[3] as string, paymentMethod: 'pm_card_visa' });
    const goodCustomer = `secrets-${randomUUID().slice(0, 8)}`;
    const confirmed = await checkout(system, goodCustomer, good);
    const declinedCustomer = `secrets-${randomUUID().slice(0, 8)}`;
    const declined = await checkout(
      system,
      declinedCustomer,
      orderBody({ sku: DEMO_SKUS[4] as string, paymentMethod: 'pm_card_chargeDeclined' }),
    );
    await waitForStatus(system, goodCustomer, confirmed.orderId, 'confirmed');
    await waitForStatus(system, declinedCustomer, declined.orderId, 'cancelled');
    // Every secret was in use: the provider was called with its key and signed its webhooks, the
    // partner's webhooks were signed, the e-mail went out.
    await waitForMail(system, good.email);
    await waitForPartnerHooks(system, confirmed.orderId);
    await waitForPartnerHooks(system, declined.orderId);

    const metrics = await scrapeAll(system.urls);
    for (const [part, { text }] of metrics) expect(leaks(text), `${part} /metrics`).toEqual([]);

    // Stopped first, so that every line written (shutdown included) is in the captured output.
    stopped = true;
    await system.stop();
    for (const part of PARTS) {
      const output = system.output(part);
      // The capture worked, at debug level, and kept everything from the start.
      expect(output.length, `${part} output`).toBeGreaterThan(0);
      expect(output.length, `${part} output was cut (raise OUTPUT_LIMIT or lower the noise)`).toBeLessThan(OUTPUT_LIMIT);
      expect(leaks(output), `${part} output`).toEqual([]);
    }
    // Debug level was on: the most talkative lines were in the output the leaks were looked for in.
    expect(PARTS.filter((p) => system.output(p).includes('"level":"debug"'))).not.toEqual([]);
    // Order ids are no secret: logs name the order where known, and here they do.
    expect(system.output('orders')).toContain(confirmed.orderId);
  });
});
