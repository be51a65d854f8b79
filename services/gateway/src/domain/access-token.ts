import {
  deleteSession,
  findAccessToken,
  lockSessionForUpdate,
  type SealedAccessToken,
  saveRefreshedTokens,
} from '../data-access/sessions-repository.js';
import type { BffApp } from './app.js';
import { type BffDeps, GrantRejected, resourceOf } from './deps.js';
import { sessionEnded } from './errors.js';
import type { BffSession } from './session.js';
import { tokenContext } from './session.js';

/** A cached access token is used only while it has at least this much life left (clock skew, the upstream call). */
const RENEW_BEFORE_MS = 30_000;

const usable = (token: SealedAccessToken | undefined, now: Date): token is SealedAccessToken =>
  token !== undefined && token.expiresAt.getTime() - RENEW_BEFORE_MS > now.getTime();

/**
 * The access token for `audience` (a service) that a session's request carries upstream: the one
 * the session holds while it is fresh, otherwise a new one from the refresh token
 * (`resource=urn:emporium:<audience>`).
 *
 * Refreshes of one session are serialized across requests and replicas by a lock on its row
 * (`SELECT … FOR UPDATE`): the provider rotates the refresh token at every use, and one used twice
 * revokes the whole grant. Whoever gets the lock second finds the first one's fresh token and
 * uses it. The transaction is run once, never retried: the refresh is an outside effect.
 *
 * A refused refresh (grant revoked, provider session ended, user suspended) ends the session: 401.
 */
export async function accessTokenFor(
  deps: BffDeps,
  app: BffApp,
  session: BffSession,
  audience: string,
  cached: SealedAccessToken | undefined,
): Promise<string> {
  const context = tokenContext.access(session.id, audience);
  if (usable(cached, deps.now())) {
    const token = deps.cipher.open(cached.token, context);
    if (token !== undefined) return token;
  }

  const outcome = await deps.db.transaction().execute(async (trx) => {
    const now = deps.now();
    const locked = await lockSessionForUpdate(trx, session.id, now);
    if (!locked) return { ended: true as const };
    const fresh = await findAccessToken(trx, session.id, audience);
    if (usable(fresh, now)) {
      const token = deps.cipher.open(fresh.token, context);
      if (token !== undefined) return { token };
    }
    const refreshToken = locked.refreshToken && deps.cipher.open(locked.refreshToken, tokenContext.refresh(session.id));
    if (!refreshToken) return { rejected: 'no usable refresh token' };
    try {
      const issued = await deps.issuer.refresh(app, refreshToken, resourceOf(audience));
      await saveRefreshedTokens(trx, session.id, {
        // Rotation: the new refresh token replaces the one just used (kept if the provider did not rotate).
        refreshToken: deps.cipher.seal(issued.refreshToken ?? refreshToken, tokenContext.refresh(session.id)),
        idToken: issued.idToken ? deps.cipher.seal(issued.idToken, tokenContext.id(session.id)) : undefined,
        audience,
        accessToken: {
          token: deps.cipher.seal(issued.accessToken, context),
          expiresAt: new Date(now.getTime() + issued.expiresIn * 1_000),
        },
      });
      deps.metrics.refresh('succeeded');
      return { token: issued.accessToken };
    } catch (error) {
      if (error instanceof GrantRejected) return { rejected: error.reason };
      deps.metrics.refresh('failed');
      throw error;
    }
  });

  if ('token' in outcome && outcome.token !== undefined) return outcome.token;
  // Ended outside the lock: the grant is gone (or the session already was), so is the session.
  if ('rejected' in outcome) {
    deps.metrics.refresh('rejected');
    const gone = await deleteSession(deps.db, session.id);
    if (gone) deps.metrics.sessionsEnded('refresh_rejected', 1);
  }
  throw sessionEnded();
}
