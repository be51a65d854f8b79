import { type SealedAccessToken, touchLiveSession } from '../data-access/sessions-repository.js';
import type { BffApp } from './app.js';
import type { BffDeps } from './deps.js';
import { sessionEnded } from './errors.js';
import { type BffSession, hashOf, looksLikeSecret } from './session.js';

export interface LiveSession {
  session: BffSession;
  /** The access token the session holds for the audience asked about, still sealed. */
  accessToken: SealedAccessToken | undefined;
}

/**
 * The live session a cookie names, its idle timeout slid by this use (never past the absolute
 * one). A cookie naming no live session — expired, logged out, or never ours, such as a value set
 * before sign-in — is 401 `session_ended`: the browser signs in again.
 */
export async function resolveSession(deps: BffDeps, app: BffApp, secret: string, audience?: string): Promise<LiveSession> {
  if (!looksLikeSecret(secret)) throw sessionEnded();
  const live = await touchLiveSession(deps.db, hashOf(secret), app.key, deps.now(), deps.settings.idleSeconds, audience);
  if (!live) throw sessionEnded();
  return live;
}
