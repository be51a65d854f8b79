import { randomUUID } from 'node:crypto';
import type { Role } from '@emporium/auth';
import { importJWK, type JWK, SignJWT } from 'jose';

/**
 * Access tokens signed with the system's own issuer key, for the tools that drive a system they
 * started (tests, the benchmark, demo seeding, the invariant checker): exactly what identity's
 * provider issues (typ at+jwt, ES256, the key's kid, iss, aud = the service, our claims), without a
 * browser login per simulated customer. Whoever holds IDENTITY_OIDC_JWKS can sign anything; these
 * tools are given it only because they started the system with it. Identity's real logins are
 * tested on their own (services/identity, the gateway's BFF suites).
 */
export interface SystemTokens {
  /** `Authorization` header for a customer, for one service (`aud`). */
  customer(audience: string, customerId: string, attrs?: { region?: string }): Promise<{ authorization: string }>;
  /** For a member of staff holding `roles`. */
  staff(
    audience: string,
    roles: Role[],
    attrs?: { sub?: string; region?: string; refundLimit?: { amount: number; currency: string } },
  ): Promise<{ authorization: string }>;
}

export function systemTokens(options: { issuer: string; jwks: string; lifetimeSec?: number }): SystemTokens {
  const jwk = (JSON.parse(options.jwks) as { keys: (JWK & { kid: string; alg: string })[] }).keys[0]!;
  const keyOnce = importJWK(jwk, jwk.alg);
  const lifetime = options.lifetimeSec ?? 3_600;
  // A tool reuses its tokens: each is valid for the lifetime, renewed a minute before it ends.
  const cache = new Map<string, { header: { authorization: string }; until: number }>();

  async function sign(audience: string, clientId: string, claims: Record<string, unknown>): Promise<{ authorization: string }> {
    const cacheKey = JSON.stringify([audience, clientId, claims]);
    const hit = cache.get(cacheKey);
    if (hit && hit.until > Date.now()) return hit.header;
    const iat = Math.floor(Date.now() / 1000);
    const token = await new SignJWT({ ...claims, client_id: clientId, jti: randomUUID() })
      .setProtectedHeader({ alg: jwk.alg, kid: jwk.kid, typ: 'at+jwt' })
      .setIssuer(options.issuer)
      .setAudience(audience)
      .setIssuedAt(iat)
      .setExpirationTime(iat + lifetime)
      .sign(await keyOnce);
    const header = { authorization: `Bearer ${token}` };
    cache.set(cacheKey, { header, until: Date.now() + (lifetime - 60) * 1_000 });
    return header;
  }

  return {
    customer: (audience, customerId, attrs = {}) =>
      sign(audience, 'storefront', {
        sub: customerId,
        roles: ['customer'],
        ...(attrs.region ? { region: attrs.region } : {}),
        suspended: false,
      }),
    staff: (audience, roles, attrs = {}) =>
      sign(audience, 'admin-console', {
        sub: attrs.sub ?? `usr_${roles[0] ?? 'staff'}`,
        roles,
        ...(attrs.region ? { region: attrs.region } : {}),
        ...(attrs.refundLimit ? { refund_limit: attrs.refundLimit } : {}),
        suspended: false,
      }),
  };
}
