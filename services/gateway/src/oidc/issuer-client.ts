import { AppError } from '@emporium/errors';
import { createRemoteJWKSet, errors as joseErrors, jwtVerify } from 'jose';
import * as oidc from 'openid-client';
import type { AppKey, BffApp } from '../domain/app.js';
import { GrantRejected, type IssuedTokens, type IssuerClient } from '../domain/deps.js';
import { invalidLogoutToken, issuerRefused, issuerUnavailable, loginFailed } from '../domain/errors.js';

export interface IssuerClientOptions {
  /** The issuer identifier (exact `iss`), e.g. https://shop.example.com/oidc: what browsers are sent to. */
  issuer: string;
  /** Where the gateway itself reaches the issuer; default `issuer`. */
  internalUrl: string | undefined;
  /** The issuer's keys (AUTH_JWKS_URL), for logout tokens. */
  jwksUrl: string;
  clients: Record<AppKey, { clientId: string; clientSecret: string }>;
  /** Longest wait for one request to the issuer. */
  timeoutMs: number;
  clockToleranceSeconds: number;
}

/** RFC 9700 §2.1 / OIDC Core: the scopes the apps ask for. offline_access is not asked: see the README. */
const SCOPE = 'openid email profile';
const BACKCHANNEL_LOGOUT_EVENT = 'http://schemas.openid.net/event/backchannel-logout';

/**
 * The issuer through openid-client (v6, certified RP): discovery, the authorization code grant
 * with PKCE S256, state and nonce, the ID token's signature checked against the issuer's keys
 * (non-repudiation checks), refresh, revocation, RP-initiated logout. Back-channel logout tokens
 * are verified with jose.
 *
 * The gateway reaches the issuer at an internal address when one is given: requests to the
 * issuer's public URL are sent there instead, with X-Forwarded-Host/Proto naming the public one
 * (exactly what the gateway sends when it proxies /oidc for a browser), so the provider still
 * describes itself with its public URLs.
 */
export function createIssuerClient(options: IssuerClientOptions): IssuerClient {
  const publicBase = options.issuer.replace(/\/+$/, '');
  const issuer = new URL(publicBase);
  const internalBase = options.internalUrl?.replace(/\/+$/, '');
  const forwarded = { 'x-forwarded-host': issuer.host, 'x-forwarded-proto': issuer.protocol.replace(/:$/, '') };
  const insecure = issuer.protocol === 'http:' || internalBase?.startsWith('http:') === true;

  const viaInternalAddress: oidc.CustomFetch = (url, init) => {
    if (internalBase === undefined || !(url === publicBase || url.startsWith(`${publicBase}/`))) return fetch(url, init);
    return fetch(internalBase + url.slice(publicBase.length), { ...init, headers: { ...init.headers, ...forwarded } });
  };

  const configs = new Map<AppKey, Promise<oidc.Configuration>>();
  function configOf(app: BffApp): Promise<oidc.Configuration> {
    let config = configs.get(app.key);
    if (!config) {
      const { clientId, clientSecret } = options.clients[app.key];
      config = oidc
        .discovery(issuer, clientId, { client_secret: clientSecret }, oidc.ClientSecretBasic(clientSecret), {
          [oidc.customFetch]: viaInternalAddress,
          // Plain HTTP only when the operator configured an http:// issuer (local runs); the ID token's signature is checked whatever the transport.
          execute: [...(insecure ? [oidc.allowInsecureRequests] : []), oidc.enableNonRepudiationChecks],
          timeout: Math.max(1, Math.ceil(options.timeoutMs / 1_000)),
        })
        .then((discovered) => {
          const authorize = discovered.serverMetadata().authorization_endpoint ?? '';
          if (!authorize.startsWith(`${publicBase}/`))
            throw new Error(
              'The issuer names its authorization endpoint outside AUTH_ISSUER: does identity trust the X-Forwarded-* headers of the gateway (IDENTITY_TRUSTED_PROXY_HOPS)?',
            );
          return discovered;
        });
      // A failed discovery is not kept: the next sign-in tries again (identity may have been starting).
      config.catch(() => configs.delete(app.key));
      configs.set(app.key, config);
    }
    return config.catch((error) => {
      throw asIssuerError(error);
    });
  }

  const jwks = createRemoteJWKSet(new URL(options.jwksUrl), { timeoutDuration: options.timeoutMs });

  return {
    async authorizationRequest(app, resources) {
      const config = await configOf(app);
      const codeVerifier = oidc.randomPKCECodeVerifier();
      const state = oidc.randomState();
      const nonce = oidc.randomNonce();
      const parameters = new URLSearchParams({
        redirect_uri: app.redirectUri,
        scope: SCOPE,
        code_challenge: await oidc.calculatePKCECodeChallenge(codeVerifier),
        code_challenge_method: 'S256',
        state,
        nonce,
      });
      // RFC 8707: one resource indicator per service the app calls; each access token is then asked for one of them.
      for (const resource of resources) parameters.append('resource', resource);
      return { url: oidc.buildAuthorizationUrl(config, parameters).href, state, nonce, codeVerifier };
    },

    async redeemCode(app, callbackUrl, checks, resource) {
      const config = await configOf(app);
      try {
        const tokens = await oidc.authorizationCodeGrant(
          config,
          callbackUrl,
          { pkceCodeVerifier: checks.codeVerifier, expectedState: checks.state, expectedNonce: checks.nonce, idTokenExpected: true },
          { resource },
        );
        return issued(tokens);
      } catch (error) {
        if (error instanceof oidc.AuthorizationResponseError) throw loginFailed(safeCode(error.error));
        if (error instanceof oidc.ResponseBodyError && error.status < 500) throw loginFailed(safeCode(error.error));
        if (error instanceof oidc.ClientError && !isTransportError(error))
          throw loginFailed('the answer of the provider did not check out');
        throw asIssuerError(error);
      }
    },

    async refresh(app, refreshToken, resource) {
      const config = await configOf(app);
      try {
        return issued(await oidc.refreshTokenGrant(config, refreshToken, { resource }));
      } catch (error) {
        if (error instanceof oidc.ResponseBodyError && error.error === 'invalid_grant') throw new GrantRejected('invalid_grant');
        throw asIssuerError(error);
      }
    },

    async revoke(app, refreshToken) {
      const config = await configOf(app);
      try {
        await oidc.tokenRevocation(config, refreshToken, { token_type_hint: 'refresh_token' });
      } catch (error) {
        throw asIssuerError(error);
      }
    },

    async endSessionUrl(app, idToken) {
      const config = await configOf(app);
      return oidc.buildEndSessionUrl(config, { id_token_hint: idToken, post_logout_redirect_uri: app.postLogoutRedirectUri }).href;
    },

    async verifyLogoutToken(app, logoutToken) {
      let payload: Record<string, unknown>;
      try {
        ({ payload } = await jwtVerify(logoutToken, jwks, {
          issuer: publicBase,
          audience: options.clients[app.key].clientId,
          typ: 'logout+jwt',
          algorithms: ['ES256', 'EdDSA'],
          requiredClaims: ['iat', 'jti', 'events'],
          maxTokenAge: '10m',
          clockTolerance: options.clockToleranceSeconds,
        }));
      } catch (error) {
        if (error instanceof joseErrors.JOSEError && !(error instanceof joseErrors.JWKSTimeout)) throw invalidLogoutToken();
        throw issuerUnavailable(error);
      }
      // OIDC Back-Channel Logout 1.0 §2.6: the logout event, a sid or a sub, and no nonce.
      const events = payload.events as Record<string, unknown> | undefined;
      const event = events?.[BACKCHANNEL_LOGOUT_EVENT];
      if (typeof event !== 'object' || event === null || Array.isArray(event)) throw invalidLogoutToken();
      if ('nonce' in payload) throw invalidLogoutToken();
      const sid = typeof payload.sid === 'string' && payload.sid ? payload.sid : undefined;
      const sub = typeof payload.sub === 'string' && payload.sub ? payload.sub : undefined;
      if (sid === undefined && sub === undefined) throw invalidLogoutToken();
      return { sid, sub };
    },
  };
}

function issued(tokens: oidc.TokenEndpointResponse & oidc.TokenEndpointResponseHelpers): IssuedTokens {
  return {
    accessToken: tokens.access_token,
    expiresIn: tokens.expiresIn() ?? 60,
    refreshToken: tokens.refresh_token,
    idToken: tokens.id_token,
    idClaims: tokens.claims() as Record<string, unknown> | undefined,
  };
}

/** An OAuth error code is shown as it is; anything else of the provider's answer is not. */
const safeCode = (code: string) => (/^[a-z_]{1,64}$/.test(code) ? code : 'error');

/** The issuer could not be reached or answered with a server error. */
function isTransportError(error: unknown): boolean {
  if (error instanceof TypeError) return true;
  if (error instanceof oidc.ClientError) {
    if (error.code === 'OAUTH_TIMEOUT' || error.code === 'OAUTH_ABORT') return true;
    const response = (error as { cause?: unknown }).cause;
    if (response instanceof Response) return response.status >= 500;
  }
  return false;
}

function asIssuerError(error: unknown): Error {
  if (error instanceof AppError || error instanceof GrantRejected) return error;
  if (error instanceof oidc.ResponseBodyError) return error.status >= 500 ? issuerUnavailable(error) : issuerRefused(error);
  if (isTransportError(error)) return issuerUnavailable(error);
  return issuerRefused(error);
}
