/**
 * The invariant checker's verdicts, from snapshots made by hand: a system that kept its promises
 * passes, and each kind of broken promise is reported under its invariant with what it concerns.
 */
import { describe, expect, it } from 'vitest';
import { type Arrival, type Expectations, findViolations, formatFindings, type OrderSnapshot, type Snapshot } from '../src/invariants.js';

const A = '0b3e5b1c-7d0e-4c55-9a61-1f6f9e1d0a01';
const B = '0b3e5b1c-7d0e-4c55-9a61-1f6f9e1d0a02';
const SKU = 'TEE-ORG-BLK-M';

const order = (id: string, status: string, quantity = 2): OrderSnapshot => ({
  id,
  customerId: 'cust-1',
  status,
  total: { amount: 2400 * quantity, currency: 'EUR' },
  lines: [{ sku: SKU, quantity }],
  refunded: false,
  lastStep: 'confirm completed',
});

const everywhere = (orderId: string, kind: Arrival['kind']): Arrival[] =>
  (['email', 'webhook', 'feed'] as const).map((channel) => ({ channel, id: `${channel}-${orderId}-${kind}`, orderId, kind }));

/** A: confirmed, charged once, 2 units sold; B: cancelled (declined), nothing charged, released. */
function healthy(): Snapshot {
  return {
    orders: [order(A, 'confirmed'), order(B, 'cancelled')],
    missingOrders: [],
    providerLedger: [
      { kind: 'authorization', amount: 4800, currency: 'eur', order_id: A, payment_intent: 'pi_a' },
      { kind: 'capture', amount: 4800, currency: 'eur', order_id: A, payment_intent: 'pi_a' },
    ],
    ourLedger: [
      { orderId: A, kind: 'authorization', amount: 4800 },
      { orderId: A, kind: 'capture', amount: 4800 },
    ],
    stock: [{ sku: SKU, onHand: 28, reserved: 0, available: 28 }],
    reservations: { [A]: 'committed', [B]: 'released' },
    arrivals: [...everywhere(A, 'order_confirmed'), ...everywhere(B, 'order_cancelled')],
    undelivered: [],
    outbox: [{ service: 'orders', pending: 0 }],
    parked: [],
    unreadable: [],
  };
}

const expected: Expectations = {
  acceptedOrders: [
    { orderId: A, customerId: 'cust-1' },
    { orderId: B, customerId: 'cust-1' },
  ],
  startStock: { [SKU]: 25 },
  receipts: { [SKU]: 5 },
};

const verdict = (change: (s: Snapshot) => void) => {
  const s = healthy();
  change(s);
  return findViolations(s, expected).map((f) => `${f.invariant} ${f.subject}: ${f.detail}`);
};

describe('the invariant checker', () => {
  it('when every promise was kept, then it finds nothing and says pass for each invariant', () => {
    expect(findViolations(healthy(), expected)).toEqual([]);
    expect(formatFindings([])).not.toMatch(/FAIL/);
  });

  it('when an order was captured twice or beyond its total, then I1 names the order', () => {
    expect(
      verdict((s) => {
        s.providerLedger.push({ kind: 'capture', amount: 4800, currency: 'eur', order_id: A, payment_intent: 'pi_a2' });
      }),
    ).toEqual(
      expect.arrayContaining([`I1 order ${A}: 2 captures at the provider`, `I1 order ${A}: captured 9600, more than the order total 4800`]),
    );
  });

  it('when more was refunded than captured, then I2 names the order', () => {
    expect(
      verdict((s) => {
        s.providerLedger.push({ kind: 'refund', amount: 5000, currency: 'eur', order_id: A, payment_intent: 'pi_a' });
      }),
    ).toContain(`I2 order ${A}: refunded 5000 of 4800 captured`);
  });

  it('when our books miss a capture the provider made, then I3 names the order', () => {
    expect(verdict((s) => s.ourLedger.pop())).toContain(
      `I3 order ${A}: provider: 1 capture(s) of 4800, refunded 0; ours: 0 capture(s) of 0, refunded 0`,
    );
  });

  it('when a unit went missing, is still reserved or below zero, then I4 names the SKU', () => {
    expect(verdict((s) => Object.assign(s.stock[0]!, { onHand: 27, available: 27 }))).toEqual([
      `I4 sku ${SKU}: on hand 27, expected 28 (start 25 − 2 sold + 5 received)`,
    ]);
    expect(verdict((s) => Object.assign(s.stock[0]!, { reserved: 2, available: 26 }))).toEqual([`I4 sku ${SKU}: 2 units still reserved`]);
    expect(verdict((s) => (s.stock = []))).toEqual([`I4 sku ${SKU}: the inventory keeps no stock for it`]);
  });

  it('when an order is stuck between steps, then I5 names it with its last step', () => {
    expect(
      verdict((s) => {
        s.orders[1] = { ...order(B, 'authorizing'), lastStep: 'authorize started' };
        s.arrivals = s.arrivals.filter((a) => a.orderId !== B);
      }),
    ).toEqual([`I5 order ${B}: still authorizing (last: authorize started)`]);
  });

  it('when a cancelled order kept a charge or its stock, or a confirmed one its reservation, then I6 names the order', () => {
    expect(
      verdict((s) => {
        s.providerLedger.push({ kind: 'capture', amount: 4800, currency: 'eur', order_id: B, payment_intent: 'pi_b' });
        s.ourLedger.push({ orderId: B, kind: 'capture', amount: 4800 });
      }),
    ).toContain(`I6 order ${B}: cancelled, net charge 4800`);
    expect(verdict((s) => (s.reservations[B] = 'reserved'))).toEqual([`I6 order ${B}: cancelled, but its reservation is reserved`]);
    expect(verdict((s) => (s.reservations[A] = 'released'))).toEqual([`I6 order ${A}: confirmed, but its reservation is released`]);
  });

  it('when an accepted order is unknown, or a charge belongs to no order, then I7 names it', () => {
    const C = '0b3e5b1c-7d0e-4c55-9a61-1f6f9e1d0a03';
    expect(verdict((s) => s.missingOrders.push(C))).toEqual([`I7 order ${C}: accepted (202), but not found`]);
    expect(
      verdict((s) => {
        s.providerLedger.push({ kind: 'capture', amount: 100, currency: 'eur', order_id: C, payment_intent: 'pi_c' });
        s.ourLedger.push({ orderId: C, kind: 'capture', amount: 100 });
      }),
    ).toEqual([`I7 order ${C}: the provider holds a net charge of 100 for an order nobody was told of`]);
  });

  it('when a customer has an order no client was told of, then I8 names it', () => {
    const C = '0b3e5b1c-7d0e-4c55-9a61-1f6f9e1d0a03';
    expect(
      verdict((s) => {
        s.orders.push(order(C, 'cancelled'));
        s.reservations[C] = 'released';
        s.arrivals.push(...everywhere(C, 'order_cancelled'));
      }),
    ).toEqual([`I8 order ${C}: customer cust-1 has an order no client was told of (cancelled)`]);
  });

  it('when a receiver got two messages, none, or a confirmation of a cancelled order, then I9 names the order and channel', () => {
    expect(verdict((s) => s.arrivals.push({ channel: 'email', id: 'another', orderId: A, kind: 'order_confirmed' }))).toEqual([
      `I9 order ${A}: confirmed: 2 order_confirmed on email`,
    ]);
    // The same id twice is one message to a receiver that deduplicates.
    expect(verdict((s) => s.arrivals.push({ ...s.arrivals[0]! }))).toEqual([]);
    expect(verdict((s) => (s.arrivals = s.arrivals.filter((a) => !(a.orderId === A && a.channel === 'feed'))))).toEqual([
      `I9 order ${A}: confirmed: 0 order_confirmed on feed`,
    ]);
    expect(verdict((s) => s.arrivals.push({ channel: 'webhook', id: 'w', orderId: B, kind: 'order_confirmed' }))).toEqual([
      `I9 order ${B}: cancelled, yet 1 order_confirmed on webhook`,
    ]);
  });

  it('when an outbox row is unsent, a notification undelivered or a message parked, then I10 says where', () => {
    expect(verdict((s) => (s.outbox[0]!.pending = 3))).toEqual(['I10 service orders: 3 outbox rows not sent']);
    expect(
      verdict((s) =>
        s.undelivered.push({ id: 'd1', orderId: A, kind: 'order_confirmed', channel: 'email', status: 'parked', lastError: 'smtp 554' }),
      ),
    ).toEqual([`I10 order ${A}: order_confirmed on email parked (smtp 554)`]);
    const parked = { queue: 'payments', id: 'm1', type: 'payments.capture.requested.v1', subject: A, lastError: 'boom' };
    expect(verdict((s) => s.parked.push(parked))).toEqual([`I10 queue payments: parked payments.capture.requested.v1 m1 about ${A}: boom`]);
    // Poison injected on purpose is expected to be parked.
    const s = healthy();
    s.parked.push(parked);
    expect(findViolations(s, { ...expected, injectedPoison: ['m1'] })).toEqual([]);
  });

  it('when part of the system cannot be read, then it does not pass', () => {
    const findings = findViolations({ ...healthy(), unreadable: [{ source: 'provider ledger', error: 'fetch failed' }] }, expected);
    expect(findings).toEqual([{ invariant: 'READ', subject: 'provider ledger', detail: 'fetch failed' }]);
    expect(formatFindings(findings)).toMatch(/FAIL {2}READ/);
  });
});
