import { InventoryCommitRequestedV1, InventoryReleaseRequestedV1, InventoryReserveRequestedV1 } from '@emporium/contracts';
import { createEnvelope, type Envelope } from '@emporium/messaging';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  aSku,
  anOrder,
  handled,
  type Inventory,
  inMinutes,
  journalOf,
  type Line,
  levels,
  outboxOf,
  postReceipt,
  startInventory,
  stock,
} from './support.js';

let inv: Inventory;
beforeAll(async () => {
  inv = await startInventory();
});
afterAll(async () => {
  await inv?.close();
});

/** A small deterministic random source (mulberry32), so a failing run can be replayed. */
function random(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Publishes commands at once, as a busy orchestrator would, and waits until each is handled. */
async function sendAll(envelopes: Envelope[]): Promise<void> {
  await inv.transport.publish(envelopes);
  for (const e of envelopes) await handled(inv, e.id, 30_000);
}

describe('stock conservation (I4)', () => {
  it('after a mix of receipts, write-offs, reserves, commits, releases and returns, on hand = initial + received − committed per SKU, and the journal agrees', async () => {
    const rnd = random(20_251_128);
    const skus = [aSku('C1'), aSku('C2'), aSku('C3')];
    const initial: Record<string, number> = {};
    const received: Record<string, number> = Object.fromEntries(skus.map((s) => [s, 0]));
    for (const [i, sku] of skus.entries()) {
      await stock(inv, sku, { 'berlin-1': 5 + i * 3, 'hamburg-1': 4 });
      initial[sku] = 9 + i * 3;
    }

    // 40 orders reserve 1 to 3 lines while merchandisers receive and write off units.
    const orders = Array.from({ length: 40 }, () => {
      const lines: Line[] = skus.filter(() => rnd() < 0.6).map((sku) => ({ sku, quantity: 1 + Math.floor(rnd() * 3) }));
      return { orderId: anOrder(), lines: lines.length ? lines : [{ sku: skus[0]!, quantity: 1 }] };
    });
    const receipts = skus.flatMap((sku, i) => [
      { sku, body: { location: 'berlin-1', quantity: 3 + i, reference: `PO-${i}` } },
      { sku, body: { location: 'hamburg-1', quantity: -1, reference: `LOSS-${i}`, reason: 'damaged' } },
    ]);
    const [, receiptResults] = await Promise.all([
      sendAll(
        orders.map((o) =>
          createEnvelope(InventoryReserveRequestedV1, { ...o, expiresAt: inMinutes(10) }, { source: 'orders', subject: o.orderId }),
        ),
      ),
      Promise.all(receipts.map((r) => postReceipt(inv, r.sku, r.body))),
    ]);
    for (const [i, res] of receiptResults.entries()) {
      if (res.statusCode === 201) received[receipts[i]!.sku]! += receipts[i]!.body.quantity;
      else expect(res.json().code).toBe('below_reserved');
    }

    const reservedOrders: typeof orders = [];
    for (const o of orders) {
      const [answer] = await outboxOf(inv, o.orderId);
      if (answer!.type === 'inventory.reservation.succeeded.v1') reservedOrders.push(o);
    }
    expect(reservedOrders.length).toBeGreaterThan(5);
    expect(reservedOrders.length).toBeLessThan(orders.length);

    // Two thirds commit, the rest are released; some commits are then cancelled (units returned).
    const toCommit = reservedOrders.filter(() => rnd() < 0.67);
    const toRelease = reservedOrders.filter((o) => !toCommit.includes(o));
    await sendAll([
      ...toCommit.map((o) => createEnvelope(InventoryCommitRequestedV1, { orderId: o.orderId }, { source: 'orders', subject: o.orderId })),
      ...toRelease.map((o) =>
        createEnvelope(
          InventoryReleaseRequestedV1,
          { orderId: o.orderId, reason: 'payment declined' },
          { source: 'orders', subject: o.orderId },
        ),
      ),
    ]);
    const returned = toCommit.filter(() => rnd() < 0.25);
    await sendAll(
      returned.map((o) =>
        createEnvelope(
          InventoryReleaseRequestedV1,
          { orderId: o.orderId, reason: 'capture failed' },
          { source: 'orders', subject: o.orderId },
        ),
      ),
    );

    const sold = toCommit.filter((o) => !returned.includes(o));
    for (const sku of skus) {
      const committed = sold
        .flatMap((o) => o.lines)
        .filter((l) => l.sku === sku)
        .reduce((n, l) => n + l.quantity, 0);
      const level = await levels(inv, sku);
      const journal = await journalOf(inv, sku);
      const expected = initial[sku]! + received[sku]! - committed;
      expect({ sku, onHand: level.onHand, reserved: level.reserved }).toEqual({ sku, onHand: expected, reserved: 0 });
      expect(journal).toEqual({ received: initial[sku]! + received[sku]!, committed, onHand: expected, reserved: 0 });
      expect(level.locations.every((l) => l.onHand >= 0 && l.reserved === 0)).toBe(true);
    }
  });
});
