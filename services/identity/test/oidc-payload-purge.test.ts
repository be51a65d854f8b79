import { type Db, sql } from '@emporium/db';
import { uniqueName, waitFor } from '@emporium/testing';
import { afterAll, describe, expect, it } from 'vitest';
import type { IdentityDatabase } from '../src/index.js';
import { purgeExpiredOidcPayloads, purgeExpiredOidcPayloadsBatch } from '../src/jobs/purge-oidc-payloads.js';
import { aMigratedDatabase } from './key-support.js';
import { type Identity, startIdentity } from './support.js';

const NOW = new Date('2026-03-01T12:00:00Z');
const ago = (seconds: number) => new Date(NOW.getTime() - seconds * 1000);
const HOUR = 3_600;

const opened: { close(): Promise<void> }[] = [];
afterAll(async () => {
  await Promise.all(opened.map((o) => o.close()));
});
async function aDatabase() {
  const { db } = await aMigratedDatabase();
  opened.push({ close: () => db.destroy() });
  return db;
}

/** A stored model of the provider expiring at `expiresAt` (null: never). */
async function aPayload(db: Db<IdentityDatabase>, expiresAt: Date | null, kind = 'AccessToken'): Promise<string> {
  const id = uniqueName('jti');
  await db
    .insertInto('oidc_payloads')
    .values({ kind, id, payload: JSON.stringify({ jti: id }), grant_id: null, user_code: null, uid: null, expires_at: expiresAt })
    .execute();
  return id;
}
const idsIn = async (db: Db<IdentityDatabase>) => new Set((await db.selectFrom('oidc_payloads').select('id').execute()).map((r) => r.id));

describe('purge of expired OpenID provider records', () => {
  it('when records expired longer ago than the grace period, then they are deleted in batches; recent, live and unexpiring ones stay', async () => {
    const db = await aDatabase();
    const old = await Promise.all([2, 3, 4, 5, 30].map((h) => aPayload(db, ago(h * HOUR), h % 2 ? 'Session' : 'RefreshToken')));
    const withinGrace = await aPayload(db, ago(HOUR - 60));
    const live = await aPayload(db, new Date(NOW.getTime() + 60_000));
    const forever = await aPayload(db, null, 'Grant');

    expect(await purgeExpiredOidcPayloads(db, ago(HOUR), 2)).toBe(old.length);

    const left = await idsIn(db);
    for (const id of old) expect(left.has(id), id).toBe(false);
    for (const id of [withinGrace, live, forever]) expect(left.has(id), id).toBe(true);
    expect(await purgeExpiredOidcPayloads(db, ago(HOUR), 2)).toBe(0);
  });

  it('when another replica holds the purge lock, then this one deletes nothing and says so; afterwards it purges', async () => {
    const db = await aDatabase();
    const old = await aPayload(db, ago(2 * HOUR));
    await db.transaction().execute(async (trx) => {
      await sql`SELECT pg_advisory_xact_lock(hashtextextended('identity.oidc.purge', 0))`.execute(trx);
      expect(await purgeExpiredOidcPayloadsBatch(db, ago(HOUR), 100)).toBeUndefined();
    });
    expect((await idsIn(db)).has(old)).toBe(true);
    expect(await purgeExpiredOidcPayloadsBatch(db, ago(HOUR), 100)).toBe(1);
  });
});

describe('the purge job', () => {
  it('when identity runs, then its job deletes records expired beyond the grace period and keeps the others', async () => {
    const identity: Identity = await startIdentity({
      IDENTITY_OIDC_PURGE_INTERVAL_MS: '100',
      IDENTITY_OIDC_PURGE_GRACE_SECONDS: String(HOUR),
    });
    opened.push(identity);
    const db = identity.ctx.db;
    const now = new Date();
    const old = await aPayload(db, new Date(now.getTime() - 2 * HOUR * 1000));
    const recent = await aPayload(db, new Date(now.getTime() - 60_000));
    const live = await aPayload(db, new Date(now.getTime() + HOUR * 1000));

    await waitFor(async () => !(await idsIn(db)).has(old), { description: 'the old record purged' });
    const left = await idsIn(db);
    expect(left.has(recent)).toBe(true);
    expect(left.has(live)).toBe(true);
    await waitFor(() => identity.logs.some((l) => l.includes('expired OpenID provider records purged')), {
      description: 'the purge logged',
    });
  });
});
