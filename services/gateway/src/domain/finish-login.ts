import { takeLogin } from '../data-access/logins-repository.js';
import { deleteSessionBySecretHash, insertSession, saveAccessToken } from '../data-access/sessions-repository.js';
import type { BffApp } from './app.js';
import { type BffDeps, resourceOf } from './deps.js';
import { loginExpired, loginFailed } from './errors.js';
import { type BffSession, hashOf, looksLikeSecret, newSecret, tokenContext, userClaimsOf } from './session.js';

/** An OAuth error code as the provider sends it back (RFC 6749 §4.1.2.1): shown as it is, nothing else of the query. */
const OAUTH_ERROR = /^[a-z_]{1,64}$/;

/**
 * GET <app>/auth/callback: the sign-in begun under `loginSecret` comes back. The pending sign-in is
 * taken (one use), the code redeemed with its PKCE verifier, state and nonce checked, the ID token
 * verified (openid-client), and a NEW session made with a fresh secret: whatever session cookie the
 * browser had before (set by anyone) is not the one after, and its session, if any, ends.
 */
export async function finishLogin(
  deps: BffDeps,
  app: BffApp,
  loginSecret: string | undefined,
  callbackUrl: URL,
  previousSessionSecret: string | undefined,
): Promise<{ sessionSecret: string; returnTo: string; session: BffSession }> {
  if (!looksLikeSecret(loginSecret)) throw loginExpired();
  const loginHash = hashOf(loginSecret);
  const login = await takeLogin(deps.db, loginHash, app.key);
  const now = deps.now();
  if (!login || login.expires_at <= now) throw loginExpired();
  const codeVerifier = deps.cipher.open(login.code_verifier, tokenContext.verifier(loginHash));
  if (codeVerifier === undefined) throw loginExpired();

  const error = callbackUrl.searchParams.get('error');
  if (error !== null) {
    deps.metrics.login(app.key, 'failed');
    throw loginFailed(OAUTH_ERROR.test(error) ? error : 'error');
  }

  const [firstAudience] = deps.settings.audiences;
  if (firstAudience === undefined) throw new Error('No upstream service to ask an access token for');
  let tokens: Awaited<ReturnType<BffDeps['issuer']['redeemCode']>>;
  try {
    tokens = await deps.issuer.redeemCode(
      app,
      callbackUrl,
      { state: login.state, nonce: login.nonce, codeVerifier },
      resourceOf(firstAudience),
    );
  } catch (error) {
    deps.metrics.login(app.key, 'failed');
    throw error;
  }
  if (!tokens.idToken || !tokens.idClaims || typeof tokens.idClaims.sub !== 'string') {
    deps.metrics.login(app.key, 'failed');
    throw loginFailed('the provider sent no ID token');
  }

  const sessionSecret = newSecret();
  const session: BffSession = {
    id: deps.newId(),
    app: app.key,
    subject: tokens.idClaims.sub,
    sid: typeof tokens.idClaims.sid === 'string' ? tokens.idClaims.sid : null,
    claims: userClaimsOf(tokens.idClaims),
    csrfToken: newSecret(),
    createdAt: now,
    lastSeenAt: now,
    idleExpiresAt: new Date(now.getTime() + Math.min(deps.settings.idleSeconds, deps.settings.absoluteSeconds) * 1_000),
    absoluteExpiresAt: new Date(now.getTime() + deps.settings.absoluteSeconds * 1_000),
  };
  await deps.db.transaction().execute(async (trx) => {
    if (looksLikeSecret(previousSessionSecret)) await deleteSessionBySecretHash(trx, hashOf(previousSessionSecret), app.key);
    await insertSession(trx, {
      session,
      secretHash: hashOf(sessionSecret),
      idToken: deps.cipher.seal(tokens.idToken as string, tokenContext.id(session.id)),
      refreshToken: tokens.refreshToken ? deps.cipher.seal(tokens.refreshToken, tokenContext.refresh(session.id)) : null,
    });
    await saveAccessToken(trx, session.id, firstAudience, {
      token: deps.cipher.seal(tokens.accessToken, tokenContext.access(session.id, firstAudience)),
      expiresAt: new Date(now.getTime() + tokens.expiresIn * 1_000),
    });
  });
  deps.metrics.login(app.key, 'succeeded');
  return { sessionSecret, returnTo: login.return_to, session };
}
