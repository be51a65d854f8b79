import { insertLogin } from '../data-access/logins-repository.js';
import type { BffApp } from './app.js';
import { type BffDeps, resourceOf } from './deps.js';
import { safeReturnPath } from './return-path.js';
import { hashOf, newSecret, tokenContext } from './session.js';

/**
 * GET <app>/auth/login: a new authorization request (code + PKCE S256, state, nonce, a resource
 * indicator for every service the app calls). What the callback needs is kept here, under the
 * hash of a fresh secret that only a short-lived cookie carries; the PKCE verifier is encrypted.
 */
export async function startLogin(
  deps: BffDeps,
  app: BffApp,
  returnTo: string | undefined,
): Promise<{ redirectTo: string; loginSecret: string; maxAgeSeconds: number }> {
  const path = safeReturnPath(returnTo, app.home);
  const request = await deps.issuer.authorizationRequest(app, deps.settings.audiences.map(resourceOf));
  const loginSecret = newSecret();
  const secretHash = hashOf(loginSecret);
  const now = deps.now();
  await insertLogin(deps.db, {
    secret_hash: secretHash,
    app: app.key,
    state: request.state,
    nonce: request.nonce,
    code_verifier: deps.cipher.seal(request.codeVerifier, tokenContext.verifier(secretHash)),
    return_to: path,
    created_at: now,
    expires_at: new Date(now.getTime() + deps.settings.loginSeconds * 1_000),
  });
  deps.metrics.login(app.key, 'started');
  return { redirectTo: request.url, loginSecret, maxAgeSeconds: deps.settings.loginSeconds };
}
