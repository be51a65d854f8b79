import { sql } from '@emporium/db';
import { bearerFor } from '@emporium/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { anAdmin, auditOf, aUser, expectProblem, type Identity, logIn, startIdentity, withSession } from './support.js';

let identity: Identity;
beforeAll(async () => {
  identity = await startIdentity();
});
afterAll(async () => {
  await identity?.close();
});

const BASE = '/api/identity/me/addresses';
type Headers = Record<string, string>;

const anAddress = (overrides: Record<string, unknown> = {}) => ({
  name: 'Ada Lovelace',
  line1: '12 St James’s Square',
  city: 'London',
  postalCode: 'SW1Y 4JH',
  country: 'GB',
  ...overrides,
});
const add = (headers: Headers, payload: object = anAddress()) => identity.app.inject({ method: 'POST', url: BASE, headers, payload });
const list = (headers: Headers) => identity.app.inject({ url: BASE, headers });

async function addFor(headers: Headers, overrides: Record<string, unknown> = {}): Promise<string> {
  const res = await add(headers, anAddress(overrides));
  expect(res.statusCode, res.body).toBe(201);
  return res.json().id;
}

describe('addresses: the owner', () => {
  it('when a customer saves, reads, replaces and removes an address, then each works and each change is audited in plain words', async () => {
    const ada = await aUser(identity, ['customer']);
    const created = await add(ada.headers, anAddress({ line2: null, country: 'gb', name: '  Ada Lovelace ' }));
    expect(created.statusCode, created.body).toBe(201);
    const id = created.json().id;
    expect(created.headers.location).toBe(`${BASE}/${id}`);
    expect(created.json()).toMatchObject({ name: 'Ada Lovelace', line2: null, country: 'GB' });
    expect(created.json()).not.toHaveProperty('userId');

    expect((await identity.app.inject({ url: `${BASE}/${id}`, headers: ada.headers })).json()).toEqual(created.json());
    const replaced = await identity.app.inject({
      method: 'PUT',
      url: `${BASE}/${id}`,
      headers: ada.headers,
      payload: anAddress({ line1: '1 Infinite Loop', city: 'Cupertino', postalCode: '95014', country: 'US' }),
    });
    expect(replaced.statusCode, replaced.body).toBe(200);
    expect(replaced.json()).toMatchObject({ id, city: 'Cupertino', country: 'US', createdAt: created.json().createdAt });
    expect((await list(ada.headers)).json().items.map((a: { id: string }) => a.id)).toEqual([id]);

    expect((await identity.app.inject({ method: 'DELETE', url: `${BASE}/${id}`, headers: ada.headers })).statusCode).toBe(204);
    expectProblem(await identity.app.inject({ url: `${BASE}/${id}`, headers: ada.headers }), 404, 'address_not_found');
    expect((await list(ada.headers)).json()).toEqual({ items: [] });

    const activity = await identity.app.inject({ url: '/api/identity/activity?limit=3', headers: ada.headers });
    expect(activity.json().items.map((e: { action: string; summary: string; actor: string }) => [e.action, e.summary, e.actor])).toEqual([
      ['address.removed', 'Shipping address removed (US)', ada.userId],
      ['address.changed', 'Shipping address changed (US)', ada.userId],
      ['address.added', 'Shipping address added (GB)', ada.userId],
    ]);
    // Personal data stays in the address, not in the log.
    expect(JSON.stringify(await auditOf(identity, { userId: ada.userId }))).not.toContain('Lovelace');
  });

  it('when a customer signed in with a session secret uses the routes, then they work the same', async () => {
    const ada = await aUser(identity, ['customer']);
    const secret = await logIn(identity, ada);
    const id = await addFor(withSession(secret));
    expect((await list(ada.headers)).json().items.map((a: { id: string }) => a.id)).toEqual([id]);
  });
});

describe('addresses: everyone else (BOLA)', () => {
  it('when another customer, support of any region or an admin asks for an address by id, then 404 as for none; anonymous 401', async () => {
    const owner = await aUser(identity, ['customer']);
    const id = await addFor(owner.headers);
    const other = await aUser(identity, ['customer']);
    const otherSecret = await logIn(identity, other);
    const callers: [string, Headers][] = [
      ['another customer', other.headers],
      ['another customer’s session', withSession(otherSecret)],
      ['support of the region', (await aUser(identity, ['support'], { region: 'eu' })).headers],
      ['support of another region', (await aUser(identity, ['support'], { region: 'us' })).headers],
      ['an admin', (await anAdmin(identity)).headers],
    ];
    const url = `${BASE}/${id}`;
    for (const [who, headers] of callers) {
      const answers = [
        await identity.app.inject({ url, headers }),
        await identity.app.inject({ method: 'PUT', url, headers, payload: anAddress({ city: 'Nowhere' }) }),
        await identity.app.inject({ method: 'DELETE', url, headers }),
      ];
      for (const res of answers)
        expect({ who, status: res.statusCode, code: res.json().code }).toEqual({ who, status: 404, code: 'address_not_found' });
    }
    for (const res of [
      await identity.app.inject({ url }),
      await identity.app.inject({ method: 'PUT', url, payload: anAddress() }),
      await identity.app.inject({ method: 'DELETE', url }),
      await identity.app.inject({ url: BASE }),
      await identity.app.inject({ method: 'POST', url: BASE, payload: anAddress() }),
    ])
      expectProblem(res, 401, 'unauthenticated');
    const unknown = await identity.app.inject({ url: `${BASE}/${crypto.randomUUID()}`, headers: other.headers });
    expectProblem(unknown, 404, 'address_not_found');
    // The owner's address is untouched.
    expect((await identity.app.inject({ url, headers: owner.headers })).json()).toMatchObject({ city: 'London' });
  });

  it('when other customers list their addresses, then they never see a foreign row', async () => {
    const [a, b] = [await aUser(identity, ['customer']), await aUser(identity, ['customer'])];
    const aIds = [await addFor(a.headers), await addFor(a.headers)];
    const bIds = [await addFor(b.headers)];
    expect((await list(a.headers)).json().items.map((x: { id: string }) => x.id)).toEqual([...aIds].reverse());
    expect((await list(b.headers)).json().items.map((x: { id: string }) => x.id)).toEqual(bIds);
  });

  it('when someone who is not a customer (support, a service) uses the list or saves one, then 403', async () => {
    const support = await aUser(identity, ['support'], { region: 'eu' });
    expectProblem(await list(support.headers), 403, 'forbidden');
    expectProblem(await add(support.headers), 403, 'forbidden');
    const service = await bearerFor(identity.name, { service: 'orders' });
    expectProblem(await list(service), 403, 'forbidden');
  });
});

describe('addresses: what a body may say', () => {
  it('when the body names an owner or id (mass assignment), then 400 and nothing is saved', async () => {
    const ada = await aUser(identity, ['customer']);
    const victim = await aUser(identity, ['customer']);
    for (const extra of [
      { userId: victim.userId },
      { customerId: victim.userId },
      { id: crypto.randomUUID() },
      { createdAt: '2020-01-01T00:00:00Z' },
    ])
      expectProblem(await add(ada.headers, anAddress(extra)), 400, 'validation_failed');
    const id = await addFor(ada.headers);
    const put = await identity.app.inject({
      method: 'PUT',
      url: `${BASE}/${id}`,
      headers: ada.headers,
      payload: anAddress({ userId: victim.userId }),
    });
    expectProblem(put, 400, 'validation_failed');
    const { rows } = await sql<{ n: number }>`SELECT count(*)::int AS n FROM addresses WHERE user_id = ${victim.userId}`.execute(
      identity.ctx.db,
    );
    expect(rows[0]!.n).toBe(0);
  });

  it('when a field is missing or empty, or the country is not an ISO 3166-1 alpha-2 code, then 400 or 422', async () => {
    const ada = await aUser(identity, ['customer']);
    const { city: _city, ...noCity } = anAddress();
    expectProblem(await add(ada.headers, noCity), 400, 'validation_failed');
    expectProblem(await add(ada.headers, anAddress({ line1: '   ' })), 400, 'validation_failed');
    expectProblem(await add(ada.headers, anAddress({ country: 'GBR' })), 400, 'validation_failed');
    for (const country of ['XX', 'UK', 'EU', 'ZZ']) expectProblem(await add(ada.headers, anAddress({ country })), 422, 'unknown_country');
    expect((await list(ada.headers)).json().items).toEqual([]);
  });

  it('when a customer already has 20 addresses, then the 21st is refused with 409', async () => {
    const ada = await aUser(identity, ['customer']);
    const results = await Promise.all(Array.from({ length: 22 }, () => add(ada.headers)));
    expect(results.filter((r) => r.statusCode === 201)).toHaveLength(20);
    for (const r of results.filter((r) => r.statusCode !== 201)) expectProblem(r, 409, 'too_many_addresses');
    expect((await list(ada.headers)).json().items).toHaveLength(20);
  });
});
