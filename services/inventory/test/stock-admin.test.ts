import { sql } from '@emporium/db';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  aSku,
  anOrder,
  expectProblem,
  type Callers,
  callersOf,
  type Inventory,
  levels,
  outboxOf,
  postReceipt,
  putStock,
  reserve,
  startInventory,
  stock,
} from './support.js';

let inv: Inventory;
let as: Callers;
beforeAll(async () => {
  inv = await startInventory();
  as = await callersOf(inv);
});
afterAll(async () => {
  await inv?.close();
});

const movementsOf = async (sku: string) =>
  (
    await sql<{
      kind: string;
      location: string;
      on_hand_delta: number;
      reserved_delta: number;
      reference: string | null;
      reason: string | null;
    }>`
      SELECT kind, location, on_hand_delta, reserved_delta, reference, reason FROM stock_movements WHERE sku = ${sku} ORDER BY id`.execute(
      inv.ctx.db,
    )
  ).rows;

describe('PUT /api/inventory/skus/:sku/locations/:location', () => {
  it('when a merchandiser sets a count, then it answers the SKU per location, creating the location, and journals the difference', async () => {
    const sku = aSku('SET');
    const first = await putStock(inv, sku, 'berlin-1', 7);
    expect(first.statusCode).toBe(200);
    expect(first.json()).toEqual({
      sku,
      onHand: 7,
      reserved: 0,
      available: 7,
      locations: [{ location: 'berlin-1', onHand: 7, reserved: 0, available: 7 }],
    });
    await putStock(inv, sku, 'Hamburg.Bin-2', 3, as.admin);
    await putStock(inv, sku, 'berlin-1', 4);
    expect(await levels(inv, sku)).toMatchObject({ onHand: 7, available: 7 });
    expect(await movementsOf(sku)).toEqual([
      { kind: 'adjustment', location: 'berlin-1', on_hand_delta: 7, reserved_delta: 0, reference: null, reason: 'stock set' },
      { kind: 'adjustment', location: 'Hamburg.Bin-2', on_hand_delta: 3, reserved_delta: 0, reference: null, reason: 'stock set' },
      { kind: 'adjustment', location: 'berlin-1', on_hand_delta: -3, reserved_delta: 0, reference: null, reason: 'stock set' },
    ]);
  });

  it('when the same count is set again, then nothing changes and nothing is journalled (PUT is idempotent)', async () => {
    const sku = aSku('SAME');
    await stock(inv, sku, { 'berlin-1': 5 });
    expect((await putStock(inv, sku, 'berlin-1', 5)).statusCode).toBe(200);
    expect(await movementsOf(sku)).toHaveLength(1);
  });

  it('when the count is below the units reserved there, then 409 below_reserved and the count stays', async () => {
    const sku = aSku('HELD');
    await stock(inv, sku, { 'berlin-1': 5 });
    await reserve(inv, anOrder(), [{ sku, quantity: 3 }]);
    const problem = expectProblem(await putStock(inv, sku, 'berlin-1', 2), 409, 'below_reserved');
    expect(problem.errors).toEqual({ sku, location: 'berlin-1', reserved: 3, onHand: 2 });
    expect((await putStock(inv, sku, 'berlin-1', 3)).json()).toMatchObject({ onHand: 3, reserved: 3, available: 0 });
  });

  it('when the count or the path is malformed, or the body has other fields, then 400 validation_failed', async () => {
    const sku = aSku('BAD');
    expectProblem(await putStock(inv, sku, 'berlin-1', -1), 400, 'validation_failed');
    expectProblem(await putStock(inv, sku, 'berlin-1', 1.5), 400, 'validation_failed');
    expectProblem(await putStock(inv, 'lower-case', 'berlin-1', 1), 400, 'validation_failed');
    expectProblem(await putStock(inv, sku, 'no%20spaces', 1), 400, 'validation_failed');
    const extra = await inv.app.inject({
      method: 'PUT',
      url: `/api/inventory/skus/${sku}/locations/berlin-1`,
      headers: as.merchandiser,
      payload: { onHand: 1, reserved: 0 },
    });
    expectProblem(extra, 400, 'validation_failed');
    expectProblem(await inv.app.inject({ url: `/api/inventory/skus/${sku}`, headers: as.support }), 404, 'sku_not_found');
  });

  it('when the caller is not a merchandiser or admin, then 401 unauthenticated or 403 forbidden and nothing changes', async () => {
    const sku = aSku('ROLE');
    await stock(inv, sku, { 'berlin-1': 1 });
    expectProblem(await putStock(inv, sku, 'berlin-1', 9, {}), 401, 'unauthenticated');
    expectProblem(await putStock(inv, sku, 'berlin-1', 9, as.customer), 403, 'forbidden');
    expectProblem(await putStock(inv, sku, 'berlin-1', 9, as.support), 403, 'forbidden');
    expectProblem(await postReceipt(inv, sku, { location: 'berlin-1', quantity: 9, reference: 'R-1' }, as.customer), 403, 'forbidden');
    expect((await levels(inv, sku)).onHand).toBe(1);
  });

  it('when the available units reach zero or come back, then out_of_stock / back_in_stock are published', async () => {
    const sku = aSku('ZERO');
    await stock(inv, sku, { 'berlin-1': 2 });
    await putStock(inv, sku, 'berlin-1', 0);
    await putStock(inv, sku, 'berlin-1', 4);
    const events = (await outboxOf(inv, sku)).map((e) => [e.type, e.data]);
    expect(events).toEqual([
      ['inventory.sku.back_in_stock.v1', { sku, available: 2 }],
      ['inventory.sku.out_of_stock.v1', { sku }],
      ['inventory.sku.back_in_stock.v1', { sku, available: 4 }],
    ]);
  });
});

describe('POST /api/inventory/skus/:sku/receipts', () => {
  it('when units are received, then on hand rises, it answers 201 with the receipt and the levels, and the journal has the receipt', async () => {
    const sku = aSku('RCV');
    await stock(inv, sku, { 'berlin-1': 2 });
    const res = await postReceipt(inv, sku, { location: 'berlin-1', quantity: 10, reference: 'PO-1001', reason: 'supplier delivery' });
    expect(res.statusCode).toBe(201);
    expect(res.json()).toEqual({
      sku,
      reference: 'PO-1001',
      location: 'berlin-1',
      quantity: 10,
      reason: 'supplier delivery',
      createdAt: expect.any(String),
      replayed: false,
      levels: {
        sku,
        onHand: 12,
        reserved: 0,
        available: 12,
        locations: [{ location: 'berlin-1', onHand: 12, reserved: 0, available: 12 }],
      },
    });
    expect((await movementsOf(sku)).at(-1)).toEqual({
      kind: 'receipt',
      location: 'berlin-1',
      on_hand_delta: 10,
      reserved_delta: 0,
      reference: 'PO-1001',
      reason: 'supplier delivery',
    });
  });

  it('when the same receipt is sent again, then it answers 200 replayed and receives nothing more — also when sent at once', async () => {
    const sku = aSku('ONCE');
    const body = { location: 'hamburg-1', quantity: 5, reference: 'DN-77' };
    const first = await postReceipt(inv, sku, body);
    const again = await postReceipt(inv, sku, body);
    expect(first.statusCode).toBe(201);
    expect(again.statusCode).toBe(200);
    expect(again.json()).toMatchObject({ replayed: true, quantity: 5, createdAt: first.json().createdAt, levels: { onHand: 5 } });

    const burst = await Promise.all(Array.from({ length: 5 }, () => postReceipt(inv, sku, { ...body, reference: 'DN-78' })));
    expect(burst.map((r) => r.statusCode).sort()).toEqual([200, 200, 200, 200, 201]);
    expect((await levels(inv, sku)).onHand).toBe(10);
    // The reference is per SKU: another SKU may use it.
    expect((await postReceipt(inv, aSku('OTHER'), body)).statusCode).toBe(201);
  });

  it('when the reference was used with another quantity, location or reason, then 422 reference_reused and nothing changes', async () => {
    const sku = aSku('REUSE');
    await postReceipt(inv, sku, { location: 'berlin-1', quantity: 5, reference: 'PO-9' });
    expectProblem(await postReceipt(inv, sku, { location: 'berlin-1', quantity: 6, reference: 'PO-9' }), 422, 'reference_reused');
    expectProblem(await postReceipt(inv, sku, { location: 'hamburg-1', quantity: 5, reference: 'PO-9' }), 422, 'reference_reused');
    expectProblem(
      await postReceipt(inv, sku, { location: 'berlin-1', quantity: 5, reference: 'PO-9', reason: 'x' }),
      422,
      'reference_reused',
    );
    expect((await levels(inv, sku)).onHand).toBe(5);
  });

  it('when units are written off, then on hand falls by them as an adjustment; below the reserved units → 409 below_reserved, and the reference stays free', async () => {
    const sku = aSku('LOSS');
    await stock(inv, sku, { 'berlin-1': 6 });
    await reserve(inv, anOrder(), [{ sku, quantity: 4 }]);

    const loss = await postReceipt(inv, sku, { location: 'berlin-1', quantity: -2, reference: 'CNT-1', reason: 'damaged' });
    expect(loss.statusCode).toBe(201);
    expect(loss.json().levels).toMatchObject({ onHand: 4, reserved: 4, available: 0 });
    expect((await movementsOf(sku)).at(-1)).toMatchObject({ kind: 'adjustment', on_hand_delta: -2, reference: 'CNT-1', reason: 'damaged' });

    expectProblem(await postReceipt(inv, sku, { location: 'berlin-1', quantity: -1, reference: 'CNT-2' }), 409, 'below_reserved');
    expectProblem(await postReceipt(inv, sku, { location: 'nowhere', quantity: -1, reference: 'CNT-2' }), 409, 'below_reserved');
    expect((await levels(inv, sku)).locations).toEqual([{ location: 'berlin-1', onHand: 4, reserved: 4, available: 0 }]);
    // Nothing was recorded under CNT-2: it can still be used.
    expect((await postReceipt(inv, sku, { location: 'berlin-1', quantity: 1, reference: 'CNT-2' })).statusCode).toBe(201);
  });

  it('when the quantity is 0 or not whole, the reference missing or blank, or other fields are sent, then 400 validation_failed', async () => {
    const sku = aSku('VAL');
    for (const body of [
      { location: 'berlin-1', quantity: 0, reference: 'R' },
      { location: 'berlin-1', quantity: 1.5, reference: 'R' },
      { location: 'berlin-1', quantity: 1 },
      { location: 'berlin-1', quantity: 1, reference: ' ' },
      { location: 'berlin-1', quantity: 1, reference: 'R', reserved: 1 },
      { quantity: 1, reference: 'R' },
    ]) {
      expectProblem(await postReceipt(inv, sku, body), 400, 'validation_failed');
    }
    expectProblem(await inv.app.inject({ url: `/api/inventory/skus/${sku}`, headers: as.support }), 404, 'sku_not_found');
  });
});

describe('GET /api/inventory/skus', () => {
  it('answers the SKUs found in the order asked, each once, and lists those with no stock; 1 to 100 SKUs', async () => {
    const [a, b] = [aSku('BA'), aSku('BB')];
    await stock(inv, a, { 'berlin-1': 1 });
    await stock(inv, b, { 'berlin-1': 2, 'hamburg-1': 3 });
    const missing = aSku('MISSING');
    const url = (skus: string[]) => `/api/inventory/skus?${skus.map((s) => `sku=${encodeURIComponent(s)}`).join('&')}`;

    const res = await inv.app.inject({ url: url([b, missing, a, b]), headers: as.merchandiser });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toEqual({
      items: [
        {
          sku: b,
          onHand: 5,
          reserved: 0,
          available: 5,
          locations: [
            { location: 'berlin-1', onHand: 2, reserved: 0, available: 2 },
            { location: 'hamburg-1', onHand: 3, reserved: 0, available: 3 },
          ],
        },
        { sku: a, onHand: 1, reserved: 0, available: 1, locations: [{ location: 'berlin-1', onHand: 1, reserved: 0, available: 1 }] },
      ],
      unknown: [missing],
    });
    expect((await inv.app.inject({ url: url([a]), headers: as.support })).json().items).toHaveLength(1);
    const many = Array.from({ length: 101 }, (_, i) => `MANY-${i}`);
    expectProblem(await inv.app.inject({ url: url(many), headers: as.support }), 400, 'validation_failed');
    expect((await inv.app.inject({ url: url(many.slice(0, 100)), headers: as.support })).json().unknown).toHaveLength(100);
    expectProblem(await inv.app.inject({ url: '/api/inventory/skus', headers: as.support }), 400, 'validation_failed');
    expectProblem(await inv.app.inject({ url: url([a]) }), 401, 'unauthenticated');
    expectProblem(await inv.app.inject({ url: url([a]), headers: as.customer }), 403, 'forbidden');
  });
});

describe('the OpenAPI document', () => {
  it('describes every inventory route', async () => {
    const doc = (await inv.app.inject('/docs/json')).json();
    expect(
      Object.keys(doc.paths)
        .filter((p) => p.startsWith('/api/'))
        .sort(),
    ).toEqual([
      '/api/inventory/reservations/{orderId}',
      '/api/inventory/skus',
      '/api/inventory/skus/{sku}',
      '/api/inventory/skus/{sku}/locations/{location}',
      '/api/inventory/skus/{sku}/receipts',
    ]);
  });
});
