import { requireRole, requireServiceScope } from '@emporium/service';
import { CATALOG_WRITERS, PRICES_SCOPE } from '../../policy.js';

/**
 * The route guards, as the catalog's policy (src/policy.ts) says. Each verifies the caller's access
 * token itself (platform/service access.ts) and runs as `onRequest`, so a refused caller's body is
 * never read: no token → 401 `unauthenticated`, another role, a service or a suspended user → 403.
 */

/** Changes to the catalog: users who are merchandiser or admin. */
export const catalogWriters = () => requireRole(...CATALOG_WRITERS);

/** The service-to-service price lookup: a client-credentials token for the catalog with `catalog:prices`. */
export const priceReaders = () => requireServiceScope(PRICES_SCOPE);
