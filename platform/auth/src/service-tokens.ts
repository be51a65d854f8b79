/**
 * Access tokens for calling another service: the OAuth 2.0 client-credentials grant (RFC 6749
 * §4.4) at the issuer's token endpoint, client authenticated with HTTP Basic (§2.3.1), the callee
 * named by a resource indicator (RFC 8707: `urn:emporium:<service>`) so the token's `aud` is the
 * callee. Tokens are cached per audience until shortly before they expire, and concurrent callers
 * share one request.
 */
export interface ServiceTokenOptions {
  tokenUrl: string;
  clientId: string;
  clientSecret: string;
  /** Renew this long before `expires_in` runs out. */
  renewBeforeMs?: number;
  timeoutMs?: number;
  /** The clock, for tests. */
  now?: () => number;
}

export interface ServiceTokens {
  /** A valid access token for `audience` (a service name) with `scopes`. */
  tokenFor(audience: string, scopes?: string[]): Promise<string>;
  /** Forgets a token the callee refused (e.g. after the issuer rotated keys). */
  forget(audience: string, scopes?: string[]): void;
}

export class ServiceTokenError extends Error {
  constructor(
    message: string,
    readonly status?: number,
  ) {
    super(message);
    this.name = 'ServiceTokenError';
  }
}

export const resourceIndicatorOf = (service: string) => `urn:emporium:${service}`;

export function serviceTokens(options: ServiceTokenOptions): ServiceTokens {
  const now = options.now ?? Date.now;
  const renewBeforeMs = options.renewBeforeMs ?? 30_000;
  const cache = new Map<string, { token: string; expiresAt: number }>();
  const inFlight = new Map<string, Promise<string>>();
  const basic = Buffer.from(`${encodeURIComponent(options.clientId)}:${encodeURIComponent(options.clientSecret)}`).toString('base64');
  const keyOf = (audience: string, scopes: string[]) => `${audience} ${[...scopes].sort().join(' ')}`;

  async function fetchToken(audience: string, scopes: string[]): Promise<{ token: string; expiresAt: number }> {
    const body = new URLSearchParams({ grant_type: 'client_credentials', resource: resourceIndicatorOf(audience) });
    if (scopes.length) body.set('scope', scopes.join(' '));
    let response: Response;
    try {
      response = await fetch(options.tokenUrl, {
        method: 'POST',
        headers: { authorization: `Basic ${basic}`, 'content-type': 'application/x-www-form-urlencoded', accept: 'application/json' },
        body,
        signal: AbortSignal.timeout(options.timeoutMs ?? 3_000),
      });
    } catch (cause) {
      throw new ServiceTokenError(`The token endpoint cannot be reached: ${(cause as Error).message}`);
    }
    const answer = (await response.json().catch(() => ({}))) as Record<string, unknown>;
    if (!response.ok || typeof answer.access_token !== 'string') {
      // The OAuth error code only; never the request, which holds the secret.
      throw new ServiceTokenError(`The token endpoint refused: ${String(answer.error ?? response.status)}`, response.status);
    }
    const lifetimeMs = (typeof answer.expires_in === 'number' ? answer.expires_in : 60) * 1_000;
    return { token: answer.access_token, expiresAt: now() + lifetimeMs };
  }

  return {
    async tokenFor(audience, scopes = []) {
      const key = keyOf(audience, scopes);
      const cached = cache.get(key);
      if (cached && cached.expiresAt - renewBeforeMs > now()) return cached.token;
      let pending = inFlight.get(key);
      if (!pending) {
        pending = fetchToken(audience, scopes)
          .then((fresh) => {
            cache.set(key, fresh);
            return fresh.token;
          })
          .finally(() => inFlight.delete(key));
        inFlight.set(key, pending);
      }
      return pending;
    },
    forget(audience, scopes = []) {
      cache.delete(keyOf(audience, scopes));
    },
  };
}
