import { sql } from '@emporium/db';
import type { IdentityDb } from './db.js';

/** A stored model as oidc-provider hands it over and expects it back. */
export type OidcPayload = Record<string, unknown> & { grantId?: string; userCode?: string; uid?: string; consumed?: number };

/** oidc-provider's adapter contract (one instance per model name). */
export interface OidcAdapter {
  upsert(id: string, payload: OidcPayload, expiresIn?: number): Promise<void>;
  find(id: string): Promise<OidcPayload | undefined>;
  findByUserCode(userCode: string): Promise<OidcPayload | undefined>;
  findByUid(uid: string): Promise<OidcPayload | undefined>;
  consume(id: string): Promise<void>;
  destroy(id: string): Promise<void>;
  revokeByGrantId(grantId: string): Promise<void>;
}

export type OidcAdapterClass = new (kind: string) => OidcAdapter;

/**
 * oidc-provider's storage in PostgreSQL, replacing its in-memory development adapter: the provider
 * constructs one instance per model name (`new Adapter('RefreshToken')`). An expired row is never
 * returned (the provider checks `exp` too). `consumed` is the epoch second of consumption: the
 * provider refuses a consumed code or refresh token and revokes its grant (reuse detection).
 */
export function postgresOidcAdapter(db: IdentityDb, now: () => Date = () => new Date()): OidcAdapterClass {
  const live = (kind: string) =>
    db
      .selectFrom('oidc_payloads')
      .select(['payload', 'consumed_at'])
      .where('kind', '=', kind)
      .where((eb) => eb.or([eb('expires_at', 'is', null), eb('expires_at', '>', now())]));
  const toPayload = (row: { payload: Record<string, unknown>; consumed_at: Date | null } | undefined): OidcPayload | undefined =>
    row && {
      ...row.payload,
      ...(row.consumed_at ? { consumed: Math.floor(row.consumed_at.getTime() / 1000) } : {}),
    };

  return class PostgresOidcAdapter implements OidcAdapter {
    constructor(readonly kind: string) {}

    async upsert(id: string, payload: OidcPayload, expiresIn?: number): Promise<void> {
      const expiresAt = typeof expiresIn === 'number' ? new Date(now().getTime() + expiresIn * 1000) : null;
      const row = {
        payload: JSON.stringify(payload),
        grant_id: typeof payload.grantId === 'string' ? payload.grantId : null,
        user_code: typeof payload.userCode === 'string' ? payload.userCode : null,
        uid: typeof payload.uid === 'string' ? payload.uid : null,
        expires_at: expiresAt,
      };
      await db
        .insertInto('oidc_payloads')
        .values({ kind: this.kind, id, ...row })
        .onConflict((oc) => oc.columns(['kind', 'id']).doUpdateSet(row))
        .execute();
    }

    async find(id: string): Promise<OidcPayload | undefined> {
      return toPayload(await live(this.kind).where('id', '=', id).executeTakeFirst());
    }

    async findByUserCode(userCode: string): Promise<OidcPayload | undefined> {
      return toPayload(await live(this.kind).where('user_code', '=', userCode).executeTakeFirst());
    }

    async findByUid(uid: string): Promise<OidcPayload | undefined> {
      return toPayload(await live(this.kind).where('uid', '=', uid).executeTakeFirst());
    }

    async consume(id: string): Promise<void> {
      // The first consumption's time stays: a second one must not make a reuse look fresh.
      await db
        .updateTable('oidc_payloads')
        .set({ consumed_at: sql<Date>`coalesce(consumed_at, ${now()})` })
        .where('kind', '=', this.kind)
        .where('id', '=', id)
        .execute();
    }

    async destroy(id: string): Promise<void> {
      await db.deleteFrom('oidc_payloads').where('kind', '=', this.kind).where('id', '=', id).execute();
    }

    async revokeByGrantId(grantId: string): Promise<void> {
      await db.deleteFrom('oidc_payloads').where('kind', '=', this.kind).where('grant_id', '=', grantId).execute();
    }
  };
}
