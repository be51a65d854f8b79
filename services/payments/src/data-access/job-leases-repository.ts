import { sql } from '@emporium/db';
import type { PaymentsDb } from './tables.js';

/**
 * Takes the named job for `leaseMs` unless another replica holds it, or ran it less than
 * `minIntervalMs` ago. Returns whether this replica runs it now.
 */
export async function claimJobLease(db: PaymentsDb, name: string, owner: string, leaseMs: number, minIntervalMs: number): Promise<boolean> {
  await db
    .insertInto('job_leases')
    .values({ name, owner: null, lease_until: null, last_run_at: null })
    .onConflict((oc) => oc.doNothing())
    .execute();
  const row = await db
    .updateTable('job_leases')
    .set({ owner, lease_until: sql<Date>`now() + make_interval(secs => ${leaseMs / 1_000})`, last_run_at: sql<Date>`now()` })
    .where('name', '=', name)
    .where((eb) => eb.or([eb('lease_until', 'is', null), eb('lease_until', '<', sql<Date>`now()`)]))
    .where((eb) =>
      eb.or([eb('last_run_at', 'is', null), eb('last_run_at', '<=', sql<Date>`now() - make_interval(secs => ${minIntervalMs / 1_000})`)]),
    )
    .returning('name')
    .executeTakeFirst();
  return row !== undefined;
}

export async function releaseJobLease(db: PaymentsDb, name: string, owner: string): Promise<void> {
  await db.updateTable('job_leases').set({ lease_until: null }).where('name', '=', name).where('owner', '=', owner).execute();
}
