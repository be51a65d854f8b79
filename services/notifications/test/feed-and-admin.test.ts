import { randomUUID } from 'node:crypto';
import { type TestCaller, uniqueName, waitFor } from '@emporium/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ADMIN, aCancellation, aConfirmedOrder, as, cancelled, confirmed, feedOf, type Rig, SUPPORT, startRig } from './support.js';

let rig: Rig;
beforeAll(async () => {
  rig = await startRig();
});
afterAll(async () => {
  await rig?.close();
});

/** A request as `caller` (a token for this service), or with no token at all. */
const inject = async (method: 'GET' | 'POST' | 'DELETE', url: string, caller?: TestCaller, payload?: object) =>
  rig.service.app.inject({ method, url, headers: caller ? await as(rig.service, caller) : {}, ...(payload ? { payload } : {}) });
const customer = (customerId: string): TestCaller => ({ customer: customerId });

const expectProblem = (res: { statusCode: number; json(): any; headers: Record<string, unknown> }, status: number, code: string) => {
  expect({ status: res.statusCode, code: res.json().code }).toEqual({ status, code });
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
};

describe('the customer feed', () => {
  it('when two customers have notifications, then each sees only their own, newest first, and a customer with none sees none', async () => {
    const alice = aConfirmedOrder();
    const bob = aConfirmedOrder();
    await confirmed(rig, alice);
    await confirmed(rig, bob);
    await waitFor(async () => (await feedOf(rig, alice.customerId)).items.length === 1, { description: "alice's confirmation" });
    await cancelled(rig, aCancellation(alice, { reason: 'Out of stock after all', refunded: true }));
    await waitFor(async () => (await feedOf(rig, alice.customerId)).items.length === 2, { description: "alice's cancellation" });
    await waitFor(async () => (await feedOf(rig, bob.customerId)).items.length === 1, { description: "bob's confirmation" });

    const aliceFeed = await feedOf(rig, alice.customerId);
    expect(aliceFeed.items.map((e) => [e.kind, e.orderId])).toEqual([
      ['order_cancelled', alice.orderId],
      ['order_confirmed', alice.orderId],
    ]);
    expect((await feedOf(rig, bob.customerId)).items.map((e) => e.orderId)).toEqual([bob.orderId]);
    expect((await feedOf(rig, uniqueName('nobody'))).items).toEqual([]);
  });

  it('when a customer marks an entry read, then it shows the time read; reading again keeps it; another customer gets 404 for it', async () => {
    const order = aConfirmedOrder();
    await confirmed(rig, order);
    const [entry] = await waitFor(
      async () => {
        const { items } = await feedOf(rig, order.customerId);
        return items.length === 1 ? items : undefined;
      },
      { description: 'the feed entry' },
    );

    const read = await inject('POST', `/api/notifications/${entry!.id}/read`, customer(order.customerId));
    expect(read.statusCode).toBe(200);
    expect(read.json()).toMatchObject({ id: entry!.id, readAt: expect.any(String) });
    const again = await inject('POST', `/api/notifications/${entry!.id}/read`, customer(order.customerId));
    expect(again.json().readAt).toBe(read.json().readAt);

    expectProblem(
      await inject('POST', `/api/notifications/${entry!.id}/read`, customer(uniqueName('mallory'))),
      404,
      'notification_not_found',
    );
    expectProblem(
      await inject('POST', `/api/notifications/${randomUUID()}/read`, customer(order.customerId)),
      404,
      'notification_not_found',
    );
    expect((await feedOf(rig, order.customerId)).items[0]!.readAt).toBe(read.json().readAt);
  });

  it('when the feed is longer than a page, then it comes one page at a time, and a page is at most 100', async () => {
    const customerId = uniqueName('cust');
    const orders = [aConfirmedOrder({ customerId }), aConfirmedOrder({ customerId }), aConfirmedOrder({ customerId })];
    for (const o of orders) await confirmed(rig, o);
    await waitFor(async () => (await feedOf(rig, customerId)).items.length === 3, { description: 'three entries' });

    const first = await feedOf(rig, customerId, '?limit=2');
    expect(first.items).toHaveLength(2);
    expect(first.nextCursor).toEqual(expect.any(String));
    const second = await feedOf(rig, customerId, `?limit=2&cursor=${first.nextCursor}`);
    expect(second.items).toHaveLength(1);
    expect(second.nextCursor).toBeNull();
    expect(new Set([...first.items, ...second.items].map((e) => e.orderId))).toEqual(new Set(orders.map((o) => o.orderId)));

    expect((await inject('GET', '/api/notifications?limit=100', customer(customerId))).statusCode).toBe(200);
    expectProblem(await inject('GET', '/api/notifications?limit=101', customer(customerId)), 400, 'validation_failed');
    expectProblem(await inject('GET', '/api/notifications?limit=0', customer(customerId)), 400, 'validation_failed');
    expectProblem(await inject('GET', '/api/notifications?cursor=bm90LWEtY3Vyc29y', customer(customerId)), 400, 'invalid_cursor');
  });

  it('when nobody is signed in, then the feed answers 401; a caller who is not a customer has no feed (403)', async () => {
    expectProblem(await inject('GET', '/api/notifications'), 401, 'unauthenticated');
    expectProblem(await inject('POST', `/api/notifications/${randomUUID()}/read`), 401, 'unauthenticated');
    expectProblem(await inject('GET', '/api/notifications', ADMIN), 403, 'forbidden');
  });
});

describe('the partner endpoint registry (admin)', () => {
  const endpoints = '/api/notifications/endpoints';

  it('when nobody is signed in, then every admin route answers 401; a customer or support gets 403', async () => {
    const body = { partner: 'acme', url: 'https://partner.test/hooks' };
    for (const [caller, status, code] of [
      [undefined, 401, 'unauthenticated'],
      [customer(uniqueName('cust')), 403, 'forbidden'],
      [SUPPORT, 403, 'forbidden'],
    ] as const) {
      expectProblem(await inject('POST', endpoints, caller, body), status, code);
      expectProblem(await inject('GET', endpoints, caller), status, code);
      expectProblem(await inject('DELETE', `${endpoints}/${randomUUID()}`, caller), status, code);
      expectProblem(await inject('GET', '/api/notifications/deliveries', caller), status, code);
      expectProblem(await inject('POST', `/api/notifications/deliveries/${randomUUID()}/retry`, caller), status, code);
    }
  });

  it('when an admin registers an endpoint without a secret, then one is made and shown once; the list never shows it', async () => {
    const partner = uniqueName('acme').replace(/_/g, '-');
    const res = await inject('POST', endpoints, ADMIN, { partner, url: 'https://partner.test/hooks/orders' });
    expect(res.statusCode).toBe(201);
    const created = res.json();
    expect(created).toMatchObject({
      partner,
      url: 'https://partner.test/hooks/orders',
      source: 'api',
      secret: expect.stringMatching(/^whsec_[A-Za-z0-9+/]{43}=$/),
    });
    expect(res.headers.location).toBe(`${endpoints}/${created.id}`);

    const list = await inject('GET', endpoints, ADMIN);
    expect(list.json().items).toContainEqual({
      id: created.id,
      partner,
      url: created.url,
      source: 'api',
      createdAt: created.createdAt,
      createdBy: ADMIN.sub,
    });
    expect(list.body).not.toContain(created.secret);
  });

  it('when an admin gives the secret, then it is kept; the same partner and URL again → 409 endpoint_exists', async () => {
    const partner = uniqueName('globex').replace(/_/g, '-');
    const secret = `whsec_${Buffer.alloc(32, 7).toString('base64')}`;
    const res = await inject('POST', endpoints, ADMIN, { partner, url: 'http://127.0.0.1:9/hooks', secret });
    expect(res.json().secret).toBe(secret);
    expectProblem(await inject('POST', endpoints, ADMIN, { partner, url: 'http://127.0.0.1:9/hooks' }), 409, 'endpoint_exists');
  });

  it('when the body is not valid, then it answers 400', async () => {
    expectProblem(await inject('POST', endpoints, ADMIN, { partner: 'Bad Name', url: 'https://p.test' }), 400, 'validation_failed');
    expectProblem(await inject('POST', endpoints, ADMIN, { partner: 'acme', url: 'ftp://p.test' }), 400, 'validation_failed');
    expectProblem(
      await inject('POST', endpoints, ADMIN, { partner: 'acme', url: 'https://p.test', secret: 'hunter2' }),
      400,
      'validation_failed',
    );
    expectProblem(
      await inject('POST', endpoints, ADMIN, { partner: 'acme', url: 'https://p.test', id: randomUUID() }),
      400,
      'validation_failed',
    );
    expectProblem(await inject('POST', endpoints, ADMIN, { partner: 'acme', url: 'https://user:pw@p.test/h' }), 400, 'invalid_url');
  });

  it('when an admin removes an endpoint, then it leaves the list, and removing it again → 404', async () => {
    const partner = uniqueName('initech').replace(/_/g, '-');
    const { id } = (await inject('POST', endpoints, ADMIN, { partner, url: 'https://partner.test/x' })).json();
    expect((await inject('DELETE', `${endpoints}/${id}`, ADMIN)).statusCode).toBe(204);
    expect((await inject('GET', endpoints, ADMIN)).json().items.map((e: { id: string }) => e.id)).not.toContain(id);
    expectProblem(await inject('DELETE', `${endpoints}/${id}`, ADMIN), 404, 'endpoint_not_found');
  });
});

describe('the OpenAPI document', () => {
  it('lists every route the service serves', async () => {
    const doc = (await inject('GET', '/docs/json')).json();
    expect(Object.keys(doc.paths).sort()).toEqual([
      '/api/notifications',
      '/api/notifications/deliveries',
      '/api/notifications/deliveries/{id}/retry',
      '/api/notifications/endpoints',
      '/api/notifications/endpoints/{id}',
      '/api/notifications/{id}',
      '/api/notifications/{id}/read',
    ]);
  });
});
