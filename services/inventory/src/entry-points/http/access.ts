import { requireRole } from '@emporium/service';
import { STOCK_READERS, STOCK_WRITERS } from '../../policy.js';

/**
 * The route guards, as the inventory's policy (src/policy.ts) says. Each verifies the caller's
 * access token itself (platform/service access.ts) and runs as `onRequest`, so a refused caller's
 * body is never read: no token → 401 `unauthenticated`; another role, a service or a suspended
 * user → 403 `forbidden`.
 */

/** Reading stock levels and reservations: support, merchandisers and admins. */
export const stockReaders = () => requireRole(...STOCK_READERS);

/** Counting stock and recording receipts: merchandisers and admins. */
export const stockWriters = () => requireRole(...STOCK_WRITERS);
