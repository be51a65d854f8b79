import { randomUUID } from 'node:crypto';
import { defineConfig, loadConfig } from '@emporium/config';
import { createDb, inTransaction, sql } from '@emporium/db';
import { identityConfig } from '../config.js';
import { appendAudit } from '../data-access/audit-repository.js';
import type { IdentityDb } from '../data-access/db.js';
import type { IdentityDatabase } from '../data-access/tables.js';
import { findUserWithCredentialsByEmail, lockUserForUpdate, saveUserAttributes } from '../data-access/users-repository.js';
import { AUDIT_ACTIONS, auditEntry } from '../domain/audit.js';
import { ROLES } from '../domain/user.js';

export const bootstrapAdminConfig = defineConfig({ DATABASE_URL: identityConfig.DATABASE_URL });

/**
 * `emporium bootstrap-admin <email>`: makes a signed-up account the first admin — the one way in
 * before any admin exists, for the operator holding identity's database URL. Refused (exit 1) once
 * an admin exists: from then on admins are made through the admin API, audited with their actor.
 * The change is audited here too (actor `system`, via the command), in the same transaction. Concurrent
 * runs are serialized by a transaction-level advisory lock, so two can never both succeed.
 */
export async function bootstrapAdminCommand(
  env: Record<string, string | undefined>,
  email: string | undefined,
  io: { out: (line: string) => void; err: (line: string) => void },
): Promise<number> {
  if (!email) {
    io.err('usage: emporium bootstrap-admin <email> (with DATABASE_URL of identity)');
    return 64;
  }
  const config = loadConfig(bootstrapAdminConfig, env);
  const db = createDb<IdentityDatabase>(config.DATABASE_URL, { max: 1, applicationName: 'emporium bootstrap-admin' });
  try {
    return await inTransaction(db as unknown as IdentityDb, async (trx) => {
      await sql`SELECT pg_advisory_xact_lock(hashtext('identity.bootstrap-admin'))`.execute(trx);
      const admins = await sql<{ n: number }>`SELECT count(*)::int AS n FROM users WHERE 'admin' = ANY(roles)`.execute(trx);
      if ((admins.rows[0]?.n ?? 0) > 0) {
        io.err('identity: an admin exists already; make more admins through the admin API');
        return 1;
      }
      const found = await findUserWithCredentialsByEmail(trx, email);
      const user = found ? await lockUserForUpdate(trx, found.id) : undefined;
      if (!user) {
        io.err(`identity: no account with that e-mail; sign up first (POST /api/identity/signup)`);
        return 1;
      }
      const { passwordHash: _hash, ...before } = user;
      const at = new Date();
      const roles = ROLES.filter((r) => r === 'admin' || before.roles.includes(r));
      await saveUserAttributes(trx, { ...before, roles, updatedAt: at });
      await appendAudit(trx, [
        auditEntry(randomUUID, at, {
          actor: 'system',
          subjectUserId: user.id,
          action: AUDIT_ACTIONS.rolesChanged,
          details: { from: before.roles, to: roles, via: 'bootstrap-admin command' },
          ip: null,
        }),
      ]);
      io.out(`identity: ${user.id} is now an admin`);
      return 0;
    });
  } finally {
    await db.destroy();
  }
}
