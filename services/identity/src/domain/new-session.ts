import type { IdentityDb } from '../data-access/db.js';
import { insertSession } from '../data-access/sessions-repository.js';
import type { Client, IdentitySettings } from './deps.js';
import { hashSessionSecret, newSessionSecret, type Session } from './session.js';

/** Starts a session for the user: a fresh secret (returned once, stored only as its hash). */
export async function startSession(
  trx: IdentityDb,
  settings: IdentitySettings,
  userId: string,
  client: Client,
  ids: { id: string; now: Date },
): Promise<{ session: Session; secret: string }> {
  const { now } = ids;
  const absoluteExpiresAt = new Date(now.getTime() + settings.sessionAbsoluteSeconds * 1000);
  const idleExpiresAt = new Date(Math.min(now.getTime() + settings.sessionIdleSeconds * 1000, absoluteExpiresAt.getTime()));
  const session: Session = {
    id: ids.id,
    userId,
    createdAt: now,
    lastSeenAt: now,
    idleExpiresAt,
    absoluteExpiresAt,
    revokedAt: null,
    userAgent: client.userAgent?.slice(0, 512) ?? null,
    ip: client.ip,
    // A login through the OpenID provider is tied to the provider's session when it begins (provider-session.ts).
    providerSessionUid: null,
  };
  const secret = newSessionSecret();
  await insertSession(trx, session, hashSessionSecret(secret));
  return { session, secret };
}
