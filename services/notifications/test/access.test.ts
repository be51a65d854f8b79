import { randomUUID } from 'node:crypto';
import { allowed, type Principal, principalFromClaims } from '@emporium/auth';
import { bearerFor, type TestCaller, uniqueName, waitFor } from '@emporium/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type NotificationAction, type NotificationSubject, notificationsPolicy } from '../src/policy.js';
import {
  ADMIN,
  aConfirmedOrder,
  aPartner,
  as,
  confirmed,
  feedOf,
  type Rig,
  removePartner,
  SUPPORT,
  setPartnerFault,
  settled,
  startRig,
} from './support.js';

/**
 * Zero trust in notifications: a customer sees only their own feed (policy.ts), by id and in
 * lists; admins alone manage partner endpoints and replay parked deliveries, and each such action
 * keeps who asked. Tokens are real ones from the test issuer.
 */

// ---- the policy, as a table (no HTTP)

const principal = (claims: Record<string, unknown>): Principal =>
  principalFromClaims({ sub: 'usr_1', client_id: 'admin-console', ...claims });

const customer = principal({ sub: 'cus_1', client_id: 'storefront', roles: ['customer'] });
const supportEu = principal({ sub: 'sup_1', roles: ['support'], region: 'eu' });
const merchandiser = principal({ sub: 'mer_1', roles: ['merchandiser'] });
const admin = principal({ sub: 'adm_1', roles: ['admin'] });
const suspendedAdmin = principal({ sub: 'adm_2', roles: ['admin'], suspended: true });
const suspendedCustomer = principal({ sub: 'cus_9', client_id: 'storefront', roles: ['customer'], suspended: true });
const unknownRole = principal({ sub: 'usr_7', roles: ['root'] });
const serviceClaimingAdmin = principal({ sub: 'orders', client_id: 'orders', roles: ['admin'] });

const entryOf = (customerId: string) => ({ id: 'ntf_1', customerId });

const table: Array<[string, Principal, NotificationAction, NotificationSubject, object | undefined, boolean]> = [
  ['customer reads own feed entry', customer, 'read', 'FeedEntry', entryOf('cus_1'), true],
  ['customer marks own feed entry read', customer, 'mark_read', 'FeedEntry', entryOf('cus_1'), true],
  ["customer reads another's feed entry", customer, 'read', 'FeedEntry', entryOf('cus_2'), false],
  ["customer marks another's feed entry read", customer, 'mark_read', 'FeedEntry', entryOf('cus_2'), false],
  ['customer reads the endpoints', customer, 'read', 'Endpoint', undefined, false],
  ['customer reads the deliveries', customer, 'read', 'Delivery', undefined, false],
  ['customer replays a delivery', customer, 'replay', 'Delivery', undefined, false],
  ['support reads a feed entry', supportEu, 'read', 'FeedEntry', entryOf('cus_1'), false],
  ['support reads the deliveries', supportEu, 'read', 'Delivery', undefined, false],
  ['support replays a delivery', supportEu, 'replay', 'Delivery', undefined, false],
  ['support registers an endpoint', supportEu, 'register', 'Endpoint', undefined, false],
  ['merchandiser registers an endpoint', merchandiser, 'register', 'Endpoint', undefined, false],
  ['merchandiser replays a delivery', merchandiser, 'replay', 'Delivery', undefined, false],
  ["admin reads a customer's feed entry", admin, 'read', 'FeedEntry', entryOf('cus_1'), false],
  ['admin reads the endpoints', admin, 'read', 'Endpoint', undefined, true],
  ['admin registers an endpoint', admin, 'register', 'Endpoint', undefined, true],
  ['admin removes an endpoint', admin, 'remove', 'Endpoint', undefined, true],
  ['admin reads the deliveries', admin, 'read', 'Delivery', undefined, true],
  ['admin replays a delivery', admin, 'replay', 'Delivery', undefined, true],
  ['suspended admin replays a delivery', suspendedAdmin, 'replay', 'Delivery', undefined, false],
  ['suspended admin registers an endpoint', suspendedAdmin, 'register', 'Endpoint', undefined, false],
  ['suspended customer reads own feed entry', suspendedCustomer, 'read', 'FeedEntry', entryOf('cus_9'), false],
  ['unknown role reads the deliveries', unknownRole, 'read', 'Delivery', undefined, false],
  ['service token claiming admin replays a delivery', serviceClaimingAdmin, 'replay', 'Delivery', undefined, false],
];

describe('the notifications policy', () => {
  it.each(table.map(([name, who, action, type, resource, expected]) => ({ name, who, action, type, resource, expected })))(
    '$name → $expected',
    ({ who, action, type, resource, expected }) => {
      expect(allowed(notificationsPolicy(who), action, type, resource)).toBe(expected);
    },
  );
});

// ---- over HTTP, with tokens of the test issuer

let rig: Rig;
beforeAll(async () => {
  rig = await startRig();
});
afterAll(async () => {
  await rig?.close();
});

const inject = async (method: 'GET' | 'POST' | 'DELETE', url: string, caller?: TestCaller, payload?: object) =>
  rig.service.app.inject({ method, url, headers: caller ? await as(rig.service, caller) : {}, ...(payload ? { payload } : {}) });

const expectProblem = (res: { statusCode: number; json(): any; headers: Record<string, unknown> }, status: number, code: string) => {
  expect({ status: res.statusCode, code: res.json().code }).toEqual({ status, code });
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
};

/** Confirms an order of this customer and waits for its feed entry; returns the entry. */
async function aFeedEntryOf(customerId: string) {
  const order = aConfirmedOrder({ customerId });
  await confirmed(rig, order);
  return waitFor(async () => (await feedOf(rig, customerId)).items.find((e) => e.orderId === order.orderId), {
    description: `the feed entry of ${order.orderId}`,
  });
}

describe('BOLA: a feed entry by id', () => {
  let owner: string;
  let entryId: string;
  beforeAll(async () => {
    owner = uniqueName('cus');
    entryId = (await aFeedEntryOf(owner)).id;
  });

  const strangers: Array<[string, TestCaller]> = [
    ['another customer', { customer: uniqueName('mallory') }],
    ['support of another region', { roles: ['support'], region: 'us' }],
    ['support', SUPPORT],
    ['an admin', ADMIN],
  ];

  it('when the owner reads it, then 200 with the entry', async () => {
    const res = await inject('GET', `/api/notifications/${entryId}`, { customer: owner });
    expect(res.statusCode).toBe(200);
    expect(res.json()).toMatchObject({ id: entryId, kind: 'order_confirmed', readAt: null });
    expect(res.body).not.toContain(owner);
  });

  it.each(strangers)(
    'when %s reads or marks it read, then 404 notification_not_found, as for an id that does not exist',
    async (_who, caller) => {
      for (const [method, path] of [
        ['GET', ''],
        ['POST', '/read'],
      ] as const) {
        const foreign = await inject(method, `/api/notifications/${entryId}${path}`, caller);
        const missing = await inject(method, `/api/notifications/${randomUUID()}${path}`, caller);
        expectProblem(foreign, 404, 'notification_not_found');
        expectProblem(missing, 404, 'notification_not_found');
        expect(foreign.body).not.toContain('order_confirmed');
      }
      // Nobody else's attempt marked it read.
      expect((await inject('GET', `/api/notifications/${entryId}`, { customer: owner })).json().readAt).toBeNull();
    },
  );

  it('when nobody is signed in, then 401 (also for a malformed id); a token for another service → 401 invalid_token', async () => {
    expectProblem(await inject('GET', `/api/notifications/${entryId}`), 401, 'unauthenticated');
    expectProblem(await inject('POST', `/api/notifications/${entryId}/read`), 401, 'unauthenticated');
    expectProblem(await inject('GET', '/api/notifications/not-a-uuid'), 401, 'unauthenticated');
    const forOrders = await rig.service.app.inject({
      url: `/api/notifications/${entryId}`,
      headers: await bearerFor('orders', { customer: owner }),
    });
    expectProblem(forOrders, 401, 'invalid_token');
  });

  it('when the owner is suspended, then 403 forbidden', async () => {
    expectProblem(await inject('GET', `/api/notifications/${entryId}`, { customer: owner, suspended: true }), 403, 'forbidden');
  });

  it('when the owner marks it read, then 200 and it shows as read to them', async () => {
    const res = await inject('POST', `/api/notifications/${entryId}/read`, { customer: owner });
    expect(res.statusCode).toBe(200);
    expect((await inject('GET', `/api/notifications/${entryId}`, { customer: owner })).json().readAt).toBe(res.json().readAt);
  });
});

describe('BOLA: the feed list', () => {
  it('when two customers have entries, then each list holds only their own, whatever the page size', async () => {
    const alice = uniqueName('alice');
    const bob = uniqueName('bob');
    const aliceEntries = [await aFeedEntryOf(alice), await aFeedEntryOf(alice)];
    const bobEntry = await aFeedEntryOf(bob);

    const aliceIds = new Set<string>();
    let cursor: string | null = null;
    do {
      const page: { items: { id: string }[]; nextCursor: string | null } = await feedOf(
        rig,
        alice,
        `?limit=1${cursor ? `&cursor=${cursor}` : ''}`,
      );
      for (const e of page.items) aliceIds.add(e.id);
      cursor = page.nextCursor;
    } while (cursor);
    expect(aliceIds).toEqual(new Set(aliceEntries.map((e) => e.id)));
    expect((await feedOf(rig, bob)).items.map((e) => e.id)).toEqual([bobEntry.id]);
  });

  it.each([
    ['support', 403, 'forbidden', SUPPORT],
    ['an admin', 403, 'forbidden', ADMIN],
    ['a merchandiser', 403, 'forbidden', { roles: ['merchandiser'] } as TestCaller],
    ['nobody', 401, 'unauthenticated', undefined],
  ])('when %s asks for the feed, then %i %s (no list of anyone’s entries)', async (_who, status, code, caller) => {
    expectProblem(await inject('GET', '/api/notifications', caller), status, code);
  });
});

describe('function level: admin routes refuse everyone but admins', () => {
  const routes: Array<['GET' | 'POST' | 'DELETE', string, object?]> = [
    ['POST', '/api/notifications/endpoints', { partner: 'acme', url: 'https://partner.test/hooks' }],
    ['GET', '/api/notifications/endpoints'],
    ['DELETE', `/api/notifications/endpoints/${randomUUID()}`],
    ['GET', '/api/notifications/deliveries'],
    ['POST', `/api/notifications/deliveries/${randomUUID()}/retry`],
  ];

  it.each([
    ['a customer', 403, 'forbidden', { customer: uniqueName('cus') } as TestCaller],
    ['support', 403, 'forbidden', SUPPORT],
    ['a merchandiser', 403, 'forbidden', { roles: ['merchandiser'] } as TestCaller],
    ['a suspended admin', 403, 'forbidden', { ...ADMIN, suspended: true } as TestCaller],
    ['nobody', 401, 'unauthenticated', undefined],
  ])('when %s calls each admin route, then %i %s', async (_who, status, code, caller) => {
    for (const [method, url, body] of routes) expectProblem(await inject(method, url, caller, body), status, code);
  });
});

describe('admin actions keep who asked', () => {
  it('when admins replay a parked delivery (twice), then each replay is recorded with who asked, in order; others may not replay', async () => {
    const partner = await aPartner(rig);
    try {
      await setPartnerFault(rig, partner.name, { kind: 'error', status: 503 });
      const order = aConfirmedOrder();
      await confirmed(rig, order);
      const parked = async () =>
        (await settled(rig, order.orderId, 3)).find((r) => r.channel === 'webhook' && r.status === 'parked') ??
        expect.fail('the webhook is not parked');
      const { id } = await parked();

      for (const caller of [{ customer: order.customerId }, SUPPORT, { roles: ['merchandiser'] }] as TestCaller[]) {
        expectProblem(await inject('POST', `/api/notifications/deliveries/${id}/retry`, caller), 403, 'forbidden');
      }
      const replaysOf = async () =>
        (await rig.service.ctx.db.selectFrom('delivery_replays').selectAll().where('delivery_id', '=', id).orderBy('id').execute()).map(
          (r) => [r.requested_by, typeof r.requested_token_id],
        );
      expect(await replaysOf()).toEqual([]);

      const first = await inject('POST', `/api/notifications/deliveries/${id}/retry`, ADMIN);
      expect(first.statusCode, first.body).toBe(200);
      expect(first.json()).toMatchObject({ id, status: 'pending', replays: [{ requestedBy: ADMIN.sub, requestedAt: expect.any(String) }] });

      // Still failing: parked again, then replayed by another admin.
      expect(await parked()).toMatchObject({ id, attempts: 4 });
      const other = { roles: ['admin'], sub: uniqueName('usr_admin') } satisfies TestCaller;
      expect((await inject('POST', `/api/notifications/deliveries/${id}/retry`, other)).statusCode).toBe(200);

      const list = await inject('GET', `/api/notifications/deliveries?orderId=${order.orderId}`, ADMIN);
      const webhook = list.json().items.find((d: { id: string }) => d.id === id);
      expect(webhook.replays.map((r: { requestedBy: string }) => r.requestedBy)).toEqual([ADMIN.sub, other.sub]);
      expect(await replaysOf()).toEqual([
        [ADMIN.sub, 'string'],
        [other.sub, 'string'],
      ]);
    } finally {
      await setPartnerFault(rig, partner.name, null);
      await removePartner(rig, partner);
    }
  });

  it('when a replay is refused (the delivery is not parked), then no replay is recorded', async () => {
    const order = aConfirmedOrder();
    await confirmed(rig, order);
    const rows = await settled(rig, order.orderId, 2);
    const email = rows.find((r) => r.channel === 'email')!;
    expectProblem(await inject('POST', `/api/notifications/deliveries/${email.id}/retry`, ADMIN), 409, 'delivery_not_parked');
    const replays = await rig.service.ctx.db.selectFrom('delivery_replays').select('id').where('delivery_id', '=', email.id).execute();
    expect(replays).toEqual([]);
  });

  it('when an admin registers and another removes an endpoint, then both are recorded', async () => {
    const partner = uniqueName('audit').replace(/_/g, '-');
    const created = await inject('POST', '/api/notifications/endpoints', ADMIN, { partner, url: 'https://partner.test/audit' });
    expect(created.json()).toMatchObject({ partner, createdBy: ADMIN.sub });
    const remover = { roles: ['admin'], sub: uniqueName('usr_admin') } satisfies TestCaller;
    expect((await inject('DELETE', `/api/notifications/endpoints/${created.json().id}`, remover)).statusCode).toBe(204);
    const row = await rig.service.ctx.db
      .selectFrom('partner_endpoints')
      .select(['created_by', 'removed_by'])
      .where('id', '=', created.json().id)
      .executeTakeFirstOrThrow();
    expect(row).toEqual({ created_by: ADMIN.sub, removed_by: remover.sub });
  });
});
