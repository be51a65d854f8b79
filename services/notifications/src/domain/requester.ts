import type { Principal } from '@emporium/auth';

/** Who asked for an admin action, as its audit row keeps it: `sub` and `jti` of the verified access token. */
export interface Requester {
  subject: string;
  tokenId: string | null;
}

export const requesterOf = (principal: Principal): Requester => ({ subject: principal.subject, tokenId: principal.tokenId ?? null });
