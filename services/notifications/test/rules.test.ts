import { describe, expect, it } from 'vitest';
import { parseConfiguredEndpoints } from '../src/domain/configured-endpoints.js';
import { formatMoney } from '../src/domain/money.js';
import { afterFailure } from '../src/domain/retry-policy.js';
import { deliveryIdOf, notificationIdOf, uuidV5 } from '../src/domain/stable-id.js';
import { domainOf } from '../src/outbound/smtp-email-sender.js';

describe('stable ids', () => {
  it('are RFC 9562 version 5 UUIDs (the DNS namespace example gives its published value)', () => {
    expect(uuidV5('www.example.com', '6ba7b810-9dad-11d1-80b4-00c04fd430c8')).toBe('2ed6657d-e927-568b-95e1-2665a8aea6a2');
  });

  it('are the same for the same facts and differ for any other order, kind, refund, channel or endpoint', () => {
    const order = '0b5f7c9e-3f4a-4d21-9c1e-2a7b4c6d8e90';
    const n = notificationIdOf(order, 'order_confirmed', '');
    expect(notificationIdOf(order.toUpperCase(), 'order_confirmed', '')).toBe(n);
    const ids = new Set([
      n,
      notificationIdOf(order, 'order_cancelled', ''),
      notificationIdOf(order, 'payment_refunded', 'r1'),
      notificationIdOf(order, 'payment_refunded', 'r2'),
      deliveryIdOf(n, 'email', null),
      deliveryIdOf(n, 'feed', null),
      deliveryIdOf(n, 'webhook', 'e1'),
      deliveryIdOf(n, 'webhook', 'e2'),
    ]);
    expect(ids.size).toBe(8);
    expect(deliveryIdOf(n, 'webhook', 'e1')).toBe(deliveryIdOf(n, 'webhook', 'e1'));
  });
});

describe('money in plain words', () => {
  it('writes minor units exactly, with the currency’s own number of decimals', () => {
    expect(formatMoney({ amount: 1999, currency: 'EUR' })).toBe('19.99 EUR');
    expect(formatMoney({ amount: 5, currency: 'USD' })).toBe('0.05 USD');
    expect(formatMoney({ amount: 1500, currency: 'JPY' })).toBe('1500 JPY');
    expect(formatMoney({ amount: 123456789012, currency: 'GBP' })).toBe('1234567890.12 GBP');
  });
});

describe('the retry schedule', () => {
  const schedule = [5_000, 60_000, 600_000];
  it('waits the schedule’s step after each failed attempt (±10%), and parks once it is used up', () => {
    expect(afterFailure(1, schedule, false, () => 0.5)).toEqual({ park: false, delayMs: 5_000 });
    expect(afterFailure(3, schedule, false, () => 0)).toEqual({ park: false, delayMs: 540_000 });
    expect(afterFailure(3, schedule, false, () => 1)).toEqual({ park: false, delayMs: 660_000 });
    expect(afterFailure(4, schedule, false)).toEqual({ park: true });
  });
  it('parks a permanent refusal at once', () => {
    expect(afterFailure(1, schedule, true)).toEqual({ park: true });
  });
});

describe('NOTIFICATIONS_PARTNER_ENDPOINTS', () => {
  const secret = `whsec_${Buffer.alloc(32, 1).toString('base64')}`;
  it('reads a JSON array or a partner|url|secret list', () => {
    const want = [{ partner: 'acme', url: 'https://acme.test/hooks', secret }];
    expect(parseConfiguredEndpoints(JSON.stringify(want))).toEqual(want);
    expect(parseConfiguredEndpoints(`acme|https://acme.test/hooks|${secret}`)).toEqual(want);
  });
  it('refuses a bad entry, naming it but never echoing the secret', () => {
    expect(() => parseConfiguredEndpoints(`acme|https://acme.test/hooks|whsec_short`)).toThrow(
      'entry 1: secret must be whsec_ followed by base64',
    );
    expect(() => parseConfiguredEndpoints(`ACME|https://acme.test|${secret}`)).toThrow(/entry 1: partner/);
    expect(() => parseConfiguredEndpoints('[{"partner":"acme","url":"https://a.test"}]')).toThrow(/exactly partner, url and secret/);
  });
});

describe('Message-ID domain', () => {
  it('is the domain of the From address', () => {
    expect(domainOf('Emporium <orders@shop.emporium.test>')).toBe('shop.emporium.test');
    expect(domainOf('orders@emporium.example')).toBe('emporium.example');
    expect(domainOf('no address')).toBe('emporium.local');
  });
});
