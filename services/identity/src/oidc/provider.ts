import type { Logger } from '@emporium/observability';
import Provider, { type Account, errors, type KoaContextWithOIDC, type Token } from 'oidc-provider';
import { postgresOidcAdapter } from '../data-access/oidc-adapter.js';
import { findUserById } from '../data-access/users-repository.js';
import type { IdentityDeps } from '../domain/deps.js';
import type { User } from '../domain/user.js';
import { type OidcClientConfig, type OidcSettings, resourceOf } from './settings.js';

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
 * The OpenID Connect provider (oidc-provider, a certified OP) on our PostgreSQL adapter: authorization
 * code with PKCE (S256 only; required for every client), client credentials, refresh tokens rotated
 * at every use (a reused one revokes its grant: the family), revocation, RP-initiated and
 * back-channel logout; JWT access tokens (typ at+jwt) whose audience is the service named by the
 * resource indicator (RFC 8707), carrying our claims. No implicit flow, no password grant.
 */
export function createOidcProvider(deps: IdentityDeps, settings: OidcSettings, logger: Logger): Provider {
  const alg = settings.keys[0]!.alg;
  // A service's scopes are the `<service>:<operation>` scopes some client is registered for.
  const scopesOf = (audience: string) =>
    [...new Set(settings.clients.flatMap((c) => (c.scope ?? '').split(' ').filter((s) => s.startsWith(`${audience}:`))))].join(' ');
  const audienceOf = new Map(settings.audiences.map((a) => [resourceOf(a), a]));

  const provider = new Provider(settings.issuer, {
    adapter: postgresOidcAdapter(deps.db, deps.now),
    jwks: { keys: settings.keys },
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
    findAccount: async (_ctx: KoaContextWithOIDC, sub: string): Promise<Account | undefined> => {
      const user = await findUserById(deps.db, sub);
      // A suspended user gets no new tokens: refreshing fails from the moment of suspension.
      if (!user || user.suspended) return undefined;
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
      url: (_ctx: KoaContextWithOIDC, interaction: { uid: string }) => `${settings.mountPath}/interaction/${interaction.uid}`,
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
            jwt: { sign: { alg } },
          };
        },
      },
    },
    ttl: {
      AccessToken: settings.accessTokenTtlSeconds,
      ClientCredentials: settings.accessTokenTtlSeconds,
      AuthorizationCode: 60,
      IdToken: 3_600,
      Interaction: 600,
      Session: settings.sessionTtlSeconds,
      Grant: settings.refreshTokenTtlSeconds,
      RefreshToken: settings.refreshTokenTtlSeconds,
    },
  });
  provider.proxy = settings.trustProxy;
  // The provider answers its own errors (OAuth error bodies); a 5xx is a bug of ours or its: log it.
  provider.on('server_error', (_ctx: unknown, err: Error) => logger.error({ err }, 'OpenID Connect provider error'));
  return provider;
}
