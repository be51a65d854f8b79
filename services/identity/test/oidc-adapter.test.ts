import { createDb, type Db, migrate } from '@emporium/db';
import { createTestDatabase, uniqueName } from '@emporium/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { postgresOidcAdapter } from '../src/data-access/oidc-adapter.js';
import { type IdentityDatabase, identityMigrations } from '../src/index.js';

let db: Db<IdentityDatabase>;
let clock = new Date('2026-01-01T00:00:00Z');
let Adapter: ReturnType<typeof postgresOidcAdapter>;
beforeAll(async () => {
  db = createDb<IdentityDatabase>(await createTestDatabase('identity_oidc'), { max: 2 });
  await migrate(db, identityMigrations);
  Adapter = postgresOidcAdapter(db, () => clock);
});
afterAll(async () => {
  await db?.destroy();
});

const anId = () => uniqueName('id');

describe('the PostgreSQL adapter of the OpenID Connect provider', () => {
  it('when a payload is upserted, then find returns it; a second upsert replaces it; another kind does not see it', async () => {
    const tokens = new Adapter('AccessToken');
    const id = anId();
    await tokens.upsert(id, { jti: id, accountId: 'u1', scope: 'openid' }, 60);
    expect(await tokens.find(id)).toEqual({ jti: id, accountId: 'u1', scope: 'openid' });
    await tokens.upsert(id, { jti: id, accountId: 'u1', scope: 'openid email' }, 60);
    expect(await tokens.find(id)).toEqual({ jti: id, accountId: 'u1', scope: 'openid email' });
    expect(await new Adapter('RefreshToken').find(id)).toBeUndefined();
    expect(await tokens.find(anId())).toBeUndefined();
  });

  it('when the expiry has passed, then find returns nothing; a payload without expiry never expires', async () => {
    const codes = new Adapter('AuthorizationCode');
    const [shortLived, forever] = [anId(), anId()];
    await codes.upsert(shortLived, { jti: shortLived }, 10);
    await codes.upsert(forever, { jti: forever });
    clock = new Date(clock.getTime() + 9_000);
    expect(await codes.find(shortLived)).toBeDefined();
    clock = new Date(clock.getTime() + 2_000);
    expect(await codes.find(shortLived)).toBeUndefined();
    expect(await codes.find(forever)).toEqual({ jti: forever });
  });

  it('when a payload is consumed, then find reports when, and a second consume keeps the first time', async () => {
    const codes = new Adapter('AuthorizationCode');
    const id = anId();
    await codes.upsert(id, { jti: id }, 600);
    expect((await codes.find(id))?.consumed).toBeUndefined();
    await codes.consume(id);
    const first = Math.floor(clock.getTime() / 1000);
    expect((await codes.find(id))?.consumed).toBe(first);
    clock = new Date(clock.getTime() + 5_000);
    await codes.consume(id);
    expect((await codes.find(id))?.consumed).toBe(first);
  });

  it('when looked up by session uid or user code, then the payload of that kind is found', async () => {
    const sessions = new Adapter('Session');
    const devices = new Adapter('DeviceCode');
    const [s, d, uid, userCode] = [anId(), anId(), anId(), anId()];
    await sessions.upsert(s, { jti: s, uid, accountId: 'u1' }, 600);
    await devices.upsert(d, { jti: d, userCode }, 600);
    expect(await sessions.findByUid(uid)).toEqual({ jti: s, uid, accountId: 'u1' });
    expect(await devices.findByUserCode(userCode)).toEqual({ jti: d, userCode });
    expect(await devices.findByUid(uid)).toBeUndefined();
    expect(await sessions.findByUserCode(userCode)).toBeUndefined();
  });

  it('when destroyed, then it is gone', async () => {
    const grants = new Adapter('Grant');
    const id = anId();
    await grants.upsert(id, { jti: id }, 600);
    await grants.destroy(id);
    expect(await grants.find(id)).toBeUndefined();
  });

  it('when a grant is revoked, then every token of that kind and grant goes, and nothing of another grant or kind', async () => {
    const refresh = new Adapter('RefreshToken');
    const access = new Adapter('AccessToken');
    const [grant, other] = [anId(), anId()];
    const [r1, r2, r3, a1] = [anId(), anId(), anId(), anId()];
    await refresh.upsert(r1, { jti: r1, grantId: grant }, 600);
    await refresh.upsert(r2, { jti: r2, grantId: grant }, 600);
    await refresh.upsert(r3, { jti: r3, grantId: other }, 600);
    await access.upsert(a1, { jti: a1, grantId: grant }, 600);
    await refresh.revokeByGrantId(grant);
    expect([await refresh.find(r1), await refresh.find(r2)]).toEqual([undefined, undefined]);
    expect(await refresh.find(r3)).toBeDefined();
    expect(await access.find(a1)).toBeDefined();
  });
});
