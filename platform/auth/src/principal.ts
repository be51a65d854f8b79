import type { JWTPayload } from 'jose';

export const ROLES = ['customer', 'support', 'merchandiser', 'admin'] as const;
export type Role = (typeof ROLES)[number];

/** Money as integer minor units plus an ISO 4217 currency (STYLE.md §5). */
export interface Money {
  amount: number;
  currency: string;
}

/** The caller of a request, taken from a verified access token and nothing else. */
export interface Principal {
  /** `sub`: the user id, or for a service the client id (RFC 9068 §2.2). */
  subject: string;
  /** `service` when the token was obtained with client credentials (`sub` = `client_id`). */
  kind: 'user' | 'service';
  /** Known roles only; unknown ones are dropped, so they grant nothing. */
  roles: Role[];
  /** `sub` of a user holding the role customer; undefined otherwise. */
  customerId: string | undefined;
  region: string | undefined;
  /** The most an admin may refund in one refund; undefined means none. */
  refundLimit: Money | undefined;
  /** Denies everything, whatever else the token says. */
  suspended: boolean;
  /** `client_id`: the OAuth client the token was issued to. */
  clientId: string;
  scopes: string[];
  /** `jti`, for the audit log. */
  tokenId: string | undefined;
}

/**
 * The claim names Emporium's access tokens carry. `sub`, `client_id`, `scope`, `roles` and `jti`
 * are those of RFC 9068 §2.2 (roles after §2.2.3.1 / RFC 7643); the rest are ours.
 */
export const CLAIMS = {
  subject: 'sub',
  clientId: 'client_id',
  scope: 'scope',
  roles: 'roles',
  region: 'region',
  refundLimit: 'refund_limit',
  suspended: 'suspended',
  tokenId: 'jti',
} as const;

const CURRENCY = /^[A-Z]{3}$/;

/** Builds the principal from claims the verifier has already checked (signature, iss, aud, time, sub, client_id). */
export function principalFromClaims(claims: JWTPayload): Principal {
  const subject = String(claims.sub);
  const clientId = String(claims[CLAIMS.clientId]);
  const kind = subject === clientId ? 'service' : 'user';
  const roles = rolesOf(claims[CLAIMS.roles]);
  const region = claims[CLAIMS.region];
  const jti = claims[CLAIMS.tokenId];
  return {
    subject,
    kind,
    roles,
    customerId: kind === 'user' && roles.includes('customer') ? subject : undefined,
    region: typeof region === 'string' && region.length > 0 ? region : undefined,
    refundLimit: moneyOf(claims[CLAIMS.refundLimit]),
    // Fail closed: any value other than an absent claim or `false` counts as suspended.
    suspended: claims[CLAIMS.suspended] !== undefined && claims[CLAIMS.suspended] !== false,
    clientId,
    scopes: typeof claims[CLAIMS.scope] === 'string' ? (claims[CLAIMS.scope] as string).split(' ').filter(Boolean) : [],
    tokenId: typeof jti === 'string' ? jti : undefined,
  };
}

function rolesOf(value: unknown): Role[] {
  if (!Array.isArray(value)) return [];
  const known = value.filter((role): role is Role => (ROLES as readonly unknown[]).includes(role));
  return [...new Set(known)];
}

function moneyOf(value: unknown): Money | undefined {
  if (typeof value !== 'object' || value === null) return undefined;
  const { amount, currency } = value as Record<string, unknown>;
  if (typeof amount !== 'number' || !Number.isSafeInteger(amount) || amount < 0) return undefined;
  if (typeof currency !== 'string' || !CURRENCY.test(currency)) return undefined;
  return { amount, currency };
}
