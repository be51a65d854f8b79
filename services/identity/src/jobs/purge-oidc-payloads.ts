import { sql } from '@emporium/db';
import type { Logger } from '@emporium/observability';
import type { BackgroundJob } from '@emporium/service';
import type { IdentityDb } from '../data-access/db.js';
import { every } from '@emporium/service';

/**
 * Deletes one batch of the OpenID provider's records (oidc_payloads) that expired before `cutoff`,
 * oldest first, in a transaction holding the purge's advisory lock. Returns how many went, or
 * undefined when another replica holds the lock (it is purging: this one need not).
 * The adapter never returns an expired record, so deleting one changes no answer.
 */
export async function purgeExpiredOidcPayloadsBatch(db: IdentityDb, cutoff: Date, batchSize: number): Promise<number | undefined> {
  return db.transaction().execute(async (trx) => {
    const lock = await sql<{ locked: boolean }>`
      SELECT pg_try_advisory_xact_lock(hashtextextended('identity.oidc.purge', 0)) AS locked`.execute(trx);
    if (!lock.rows[0]?.locked) return undefined;
    const result = await trx
      .deleteFrom('oidc_payloads')
      .where((eb) =>
        eb(
          eb.refTuple('kind', 'id'),
          'in',
          eb
            .selectFrom('oidc_payloads')
            .select(['kind', 'id'])
            .where('expires_at', '<', cutoff)
            .orderBy('expires_at')
            .limit(batchSize)
            // A row the provider is writing right now is left for the next run.
            .forUpdate()
            .skipLocked()
            .$asTuple('kind', 'id'),
        ),
      )
      .executeTakeFirst();
    return Number(result.numDeletedRows);
  });
}

/** Batches until one comes back short (or another replica holds the lock); returns how many went. */
export async function purgeExpiredOidcPayloads(db: IdentityDb, cutoff: Date, batchSize: number): Promise<number> {
  let purged = 0;
  for (;;) {
    const deleted = await purgeExpiredOidcPayloadsBatch(db, cutoff, batchSize);
    purged += deleted ?? 0;
    if (deleted === undefined || deleted < batchSize) return purged;
  }
}

export interface PurgeJobOptions {
  db: IdentityDb;
  /** Records expired for longer than this are deleted. */
  graceSeconds: number;
  batchSize: number;
  intervalMs: number;
  now: () => Date;
  logger: Logger;
}

/** Every `intervalMs`, deletes the provider's records expired for longer than the grace period. */
export function oidcPayloadPurgeJob(options: PurgeJobOptions): BackgroundJob {
  const { db, graceSeconds, batchSize, now, logger } = options;
  return every(
    'oidc-payload-purge',
    options.intervalMs,
    async () => {
      const purged = await purgeExpiredOidcPayloads(db, new Date(now().getTime() - graceSeconds * 1000), batchSize);
      if (purged > 0) logger.info({ purged }, 'expired OpenID provider records purged');
    },
    logger,
  );
}
