import type { FastifyInstance } from 'fastify';
import type Provider from 'oidc-provider';
import type { EndedProviderSession } from '../../domain/end-sessions.js';

/**
 * OpenID Connect Back-Channel Logout 1.0 notices for sessions WE ended (a user's revocation, "sign
 * out everywhere", a password change, a suspension): each client that was signed in with an ended
 * provider session and registered a `backchannel_logout_uri` gets a logout token (sub and sid),
 * signed by the provider, as it would for the provider's own logout. Sent after the commit, not
 * awaited by the request, best effort: a client that misses it still loses its refresh token (its
 * grant is gone), so its next refresh fails.
 */
export type LogoutNotices = (ended: readonly EndedProviderSession[]) => void;

declare module 'fastify' {
  interface FastifyInstance {
    /** Set by oidcRoutes when the provider is mounted. */
    identityLogoutNotices?: LogoutNotices;
  }
}

/** The part of oidc-provider's Client model this needs (not in its typings: lib/models/client.js). */
interface BackchannelClient {
  backchannelLogoutUri?: string;
  backchannelLogout(sub: string, sid: string | undefined): Promise<void>;
}

export function installLogoutNotices(
  app: Pick<FastifyInstance, 'decorate'>,
  provider: Provider,
  logger: { warn(details: object, message: string): void },
): void {
  const clients = (provider as unknown as { Client: { find(id: string): Promise<BackchannelClient | undefined> } }).Client;
  const notify = async (accountId: string, clientId: string, sid: string | undefined) => {
    const client = await clients.find(clientId);
    if (!client?.backchannelLogoutUri) return;
    await client.backchannelLogout(accountId, sid);
  };
  app.decorate('identityLogoutNotices', (ended: readonly EndedProviderSession[]) => {
    const sends = ended.flatMap((session) =>
      session.accountId
        ? session.authorizations.map((a) =>
            notify(session.accountId!, a.clientId, a.sid).catch((err: unknown) =>
              logger.warn({ err, clientId: a.clientId }, 'back-channel logout notice failed'),
            ),
          )
        : [],
    );
    void Promise.all(sends);
  });
}

/** Sends the notices for what a use case ended (nothing when no provider is mounted). */
export function sendLogoutNotices(app: Pick<FastifyInstance, 'identityLogoutNotices'>, ended: readonly EndedProviderSession[]): void {
  if (ended.length > 0) app.identityLogoutNotices?.(ended);
}
