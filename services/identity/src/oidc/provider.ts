import type { Logger } from '@emporium/observability';
import Provider, { type Account, errors, type KoaContextWithOIDC, type Token } from 'oidc-provider';
import * as oidcProvider from 'oidc-provider';
import { postgresOidcAdapter } from '../data-access/oidc-adapter.js';
import { findUserById } from '../data-access/users-repository.js';
import type { IdentityDeps } from '../domain/deps.js';
import { endSessionsOfProviderLogout, LOGIN_SESSION, linkProviderSession, providerSessionIsLive } from '../domain/provider-session.js';
import type { User } from '../domain/user.js';
import { type OidcClientConfig, type OidcSettings, resourceOf } from './settings.js';
import { type KeySet, loadKeySet, prepareSigningKeys } from './signing-keys.js';

/** Our claims in a user's access token (platform/auth's Principal reads them). */
export function accessTokenClaimsOf(user: User): Record<string, unknown> {
  return {
    roles: user.roles,
    ...(user.region ? { region: user.region } : {}),
    ...(user.refundLimit ? { refund_limit: { amount: user.refundLimit.amount, currency: user.refundLimit.currency } } : {}),
    suspended: user.suspended,
  };
}

/** A registered client in oidc-provider's metadata (RFC 7591 names). */
function clientMetadata(client: OidcClientConfig, alg: string) {
  const code = client.grant_types.includes('authorization_code');
  return {
    client_id: client.client_id,
    ...(client.client_secret
      ? { client_secret: client.client_secret, token_endpoint_auth_method: 'client_secret_basic' }
      : { token_endpoint_auth_method: 'none' }),
    grant_types: client.grant_types,
    response_types: code ? ['code'] : [],
    redirect_uris: client.redirect_uris ?? [],
    post_logout_redirect_uris: client.post_logout_redirect_uris ?? [],
    ...(client.scope ? { scope: ['openid', 'email', 'profile', 'offline_access', client.scope].join(' ') } : {}),
    ...(client.backchannel_logout_uri
      ? { backchannel_logout_uri: client.backchannel_logout_uri, backchannel_logout_session_required: true }
      : {}),
    id_token_signed_response_alg: alg,
  };
}

/**
 * Whether the session of ours behind the provider's still stands (domain/provider-session.ts):
 * - when a login's interaction resumes (the provider's session now has its uid), ties the session
 *   the login opened to it; if ours ended meanwhile, the sign-in is refused;
 * - a token bound to the provider's session (an authorization code, a refresh token without
 *   offline_access) is honoured only while a live session of ours stands for it, and its use
 *   slides our idle expiry: revoking, expiring or suspending ends the refresh at once.
 */
async function sessionStands(deps: IdentityDeps, ctx: KoaContextWithOIDC, sub: string, token: Token | undefined): Promise<boolean> {
  const oidc = ctx.oidc;
  const opened = oidc?.route === 'resume' ? oidc.result?.[LOGIN_SESSION] : undefined;
  if (typeof opened === 'string' && oidc.result?.login?.accountId === sub) {
    if (await linkProviderSession(deps, { sessionId: opened, userId: sub, uid: oidc.session.uid })) return true;
    // oidc-provider's access_denied (lib/helpers/errors.js), back at the client.
    throw new errors.AccessDenied!('the sign-in was ended before it completed');
  }
  if (token?.expiresWithSession === true && typeof token.sessionUid === 'string') return providerSessionIsLive(deps, token.sessionUid);
  return true;
}

/** The part of oidc-provider's interaction policy API used here (not in its typings: lib/helpers/interaction_policy). */
interface PolicyApi {
  base(): { get(name: string): { checks: { add(check: unknown): void } } };
  Check: new (reason: string, description: string, check: (ctx: KoaContextWithOIDC) => Promise<boolean>) => unknown;
}

/**
 * The default prompts, plus: a provider session whose session of ours has ended (revoked, expired,
 * the user suspended) asks for the password again, instead of signing in silently at another client.
 */
function interactionPolicyOf(deps: IdentityDeps) {
  const { base, Check } = (oidcProvider as unknown as { interactionPolicy: PolicyApi }).interactionPolicy;
  const policy = base();
  policy.get('login').checks.add(
    new Check('session_ended', 'The sign-on session has ended', async (ctx) => {
      const { session } = ctx.oidc;
      return Boolean(session.accountId) && !(await providerSessionIsLive(deps, session.uid));
    }),
  );
  return policy;
}

/**
 * The OpenID Connect provider (oidc-provider, a certified OP) on our PostgreSQL adapter: authorization
 * code with PKCE (S256 only; required for every client), client credentials, refresh tokens rotated
 * at every use (a reused one revokes its grant: the family), revocation, RP-initiated and
 * back-channel logout; JWT access tokens (typ at+jwt) whose audience is the service named by the
 * resource indicator (RFC 8707), carrying our claims. No implicit flow, no password grant.
 */
export function createOidcProvider(deps: IdentityDeps, settings: OidcSettings, keySet: KeySet, logger: Logger): Provider {
  // The key set is fixed for the life of this instance (oidc-provider builds its keystore once):
  // a change of keys builds a new instance (see startLiveOidcProvider).
  const { alg, kid } = keySet.signing;
  // A service's scopes are the `<service>:<operation>` scopes some client is registered for.
  const scopesOf = (audience: string) =>
    [...new Set(settings.clients.flatMap((c) => (c.scope ?? '').split(' ').filter((s) => s.startsWith(`${audience}:`))))].join(' ');
  const audienceOf = new Map(settings.audiences.map((a) => [resourceOf(a), a]));
  const backchannelUris = new Set(
    settings.clients.flatMap((c) => (c.backchannel_logout_uri ? [new URL(c.backchannel_logout_uri).href] : [])),
  );

  const provider = new Provider(settings.issuer, {
    adapter: postgresOidcAdapter(deps.db, deps.now),
    jwks: { keys: keySet.keys },
    clients: settings.clients.map((c) => clientMetadata(c, alg)),
    clientDefaults: { id_token_signed_response_alg: alg, grant_types: ['authorization_code'], response_types: ['code'] },
    cookies: { keys: settings.cookieKeys, long: { httpOnly: true, sameSite: 'lax' }, short: { httpOnly: true, sameSite: 'lax' } },
    responseTypes: ['code'],
    // RFC 9700 §2.1.1: PKCE for every client; oidc-provider 9 supports only S256.
    pkce: { required: () => true },
    // The OpenID scopes, and every `<service>:<operation>` scope a client is registered for.
    scopes: [
      ...new Set([
        'openid',
        'email',
        'profile',
        'offline_access',
        ...settings.clients.flatMap((c) => (c.scope ?? '').split(' ').filter(Boolean)),
      ]),
    ],
    claims: { openid: ['sub'], email: ['email'], profile: ['name'] },
    findAccount: async (ctx: KoaContextWithOIDC, sub: string, token?: Token): Promise<Account | undefined> => {
      const user = await findUserById(deps.db, sub);
      // A suspended user gets no new tokens: refreshing fails from the moment of suspension.
      if (!user || user.suspended) return undefined;
      // Nor does a user whose session of ours behind the provider's has ended.
      if (!(await sessionStands(deps, ctx, sub, token))) return undefined;
      return { accountId: user.id, claims: () => ({ sub: user.id, email: user.email, ...(user.name ? { name: user.name } : {}) }) };
    },
    extraTokenClaims: async (_ctx: KoaContextWithOIDC, token: Token) => {
      if (token.kind !== 'AccessToken' || !token.accountId) return undefined;
      const user = await findUserById(deps.db, token.accountId);
      return user ? accessTokenClaimsOf(user) : undefined;
    },
    // A first-party app may keep its user signed in without asking for offline_access.
    issueRefreshToken: async (_ctx: KoaContextWithOIDC, client: { grantTypeAllowed(g: string): boolean }) =>
      client.grantTypeAllowed('refresh_token'),
    // Every use of a refresh token gives a new one and consumes the old (RFC 9700 §4.14.2).
    rotateRefreshToken: true,
    interactions: {
      policy: interactionPolicyOf(deps),
      url: (_ctx: KoaContextWithOIDC, interaction: { uid: string }) => `${settings.mountPath}/interaction/${interaction.uid}`,
    },
    // oidc-provider refuses outgoing requests to special-use addresses (loopback, private networks:
    // SSRF protection, lib/helpers/fetch_request.js), which back-channel logout to an app on the
    // same host or network needs. Our clients are registered by the operator (IDENTITY_OIDC_CLIENTS,
    // no dynamic registration): their back-channel logout URIs, and only those, are let through.
    fetch: (url: string, init: RequestInit & { dispatcher?: unknown }) => {
      if (!backchannelUris.has(url)) return fetch(url, init);
      const { dispatcher: _ssrfGuard, ...rest } = init;
      return fetch(url, rest);
    },
    features: {
      devInteractions: { enabled: false },
      clientCredentials: { enabled: true },
      revocation: { enabled: true },
      rpInitiatedLogout: { enabled: true },
      backchannelLogout: { enabled: true },
      resourceIndicators: {
        enabled: true,
        // The token endpoint may use the resource the user granted without naming it again.
        useGrantedResource: () => true,
        defaultResource: (_ctx: KoaContextWithOIDC, _client: unknown, oneOf?: string[]) => oneOf,
        getResourceServerInfo: (_ctx: KoaContextWithOIDC, indicator: string) => {
          const audience = audienceOf.get(indicator);
          if (!audience) throw new errors.InvalidTarget('unknown resource indicator');
          return {
            scope: scopesOf(audience),
            audience,
            accessTokenFormat: 'jwt',
            accessTokenTTL: settings.accessTokenTtlSeconds,
            jwt: { sign: { alg, kid } },
          };
        },
      },
    },
    ttl: {
      AccessToken: settings.accessTokenTtlSeconds,
      ClientCredentials: settings.accessTokenTtlSeconds,
      AuthorizationCode: 60,
      IdToken: settings.idTokenTtlSeconds,
      Interaction: 600,
      Session: settings.sessionTtlSeconds,
      Grant: settings.refreshTokenTtlSeconds,
      RefreshToken: settings.refreshTokenTtlSeconds,
    },
  });
  provider.proxy = settings.trustProxy;
  // The provider answers its own errors (OAuth error bodies); a 5xx is a bug of ours or its: log it.
  provider.on('server_error', (_ctx: unknown, err: Error) => logger.error({ err }, 'OpenID Connect provider error'));
  // A client that did not take its logout token keeps its own session: say which.
  provider.on('backchannel.error', (_ctx: unknown, err: Error, client: { clientId: string }) =>
    logger.warn({ clientId: client.clientId, reason: err.message }, 'back-channel logout not delivered'),
  );
  // The provider's own logout (/oidc/session/end) destroyed its session: ours behind it end too (audited).
  provider.on('session.destroyed', (session: { uid?: unknown }) => {
    if (typeof session.uid !== 'string') return;
    endSessionsOfProviderLogout(deps, session.uid).catch((err: unknown) =>
      logger.error({ err }, 'ending the sessions of a provider logout failed; they idle out'),
    );
  });
  return provider;
}

/** The provider of this replica, kept in step with the key table. */
export interface LiveOidcProvider {
  /**
   * Stands for the instance serving now: each call, and each request through its `callback()`,
   * goes to the instance current at that moment; a request in flight finishes on the one it started on.
   */
  readonly provider: Provider;
  stop(): Promise<void>;
}

/**
 * Prepares the keys (import, first keys), builds the provider, then reads the key set every
 * `settings.keyPollIntervalMs` and, when it changed (a rotation by any replica or by the
 * rotate-keys command, a retired key past its retention), builds a new instance with the same
 * adapter and configuration and swaps it in — one assignment, so no request sees half of a change.
 * A failed read or build keeps the running instance and is tried again at the next poll.
 */
export async function startLiveOidcProvider(deps: IdentityDeps, settings: OidcSettings, logger: Logger): Promise<LiveOidcProvider> {
  const { keyEncryptionKey } = settings;
  await prepareSigningKeys(deps.db, keyEncryptionKey, settings.keys, settings.keyLifetimes, deps.now());
  let keySet = await loadKeySet(deps.db, keyEncryptionKey, deps.now());
  let current = createOidcProvider(deps, settings, keySet, logger);

  let stopped = false;
  let timer: NodeJS.Timeout | undefined;
  let polling: Promise<void> = Promise.resolve();
  const poll = async () => {
    try {
      const latest = await loadKeySet(deps.db, keyEncryptionKey, deps.now());
      if (latest.fingerprint === keySet.fingerprint) return;
      const rebuilt = createOidcProvider(deps, settings, latest, logger);
      [current, keySet] = [rebuilt, latest];
      logger.info({ signing: latest.signing.kid, published: latest.keys.map((k) => k.kid) }, 'signing keys changed; provider rebuilt');
    } catch (error) {
      logger.error({ err: error }, 'reading the signing keys failed; the provider keeps its keys until the next poll');
    }
  };
  const schedule = () => {
    if (stopped) return;
    timer = setTimeout(() => {
      polling = poll().finally(schedule);
    }, settings.keyPollIntervalMs);
  };
  schedule();

  return {
    provider: swappable(() => current),
    async stop() {
      stopped = true;
      clearTimeout(timer);
      await polling;
    },
  };
}

/**
 * A Provider whose every member is read from the instance `currentOf()` returns at the moment of use.
 * Methods run with that instance as `this` (oidc-provider keeps its state in private fields); classes
 * such as `Grant` are handed out as they are, so `new` and their static methods keep working.
 */
function swappable(currentOf: () => Provider): Provider {
  const handlers = new WeakMap<Provider, ReturnType<Provider['callback']>>();
  const handlerOf = (instance: Provider) => {
    let handler = handlers.get(instance);
    if (!handler) {
      handler = instance.callback();
      handlers.set(instance, handler);
    }
    return handler;
  };
  const dispatch: ReturnType<Provider['callback']> = (req, res) => handlerOf(currentOf())(req, res);
  return new Proxy(Object.create(null) as Provider, {
    get(_target, property) {
      if (property === 'callback') return () => dispatch;
      const instance = currentOf();
      const value: unknown = Reflect.get(instance, property, instance);
      if (typeof value !== 'function' || isClass(value)) return value;
      return new Proxy(value, { apply: (method, _this, args) => Reflect.apply(method, instance, args) });
    },
  });
}

const isClass = (fn: unknown) => /^class[\s{]/.test(Function.prototype.toString.call(fn));
