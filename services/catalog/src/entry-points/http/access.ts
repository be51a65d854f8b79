import type { Role } from '@emporium/service';

/**
 * Who may change the catalog. The seam that says who the caller is lives in one place for every
 * service (platform/service access.ts): internal headers today, verified JWTs once identity lands.
 */
export const CATALOG_WRITERS: readonly Role[] = ['merchandiser', 'admin'];

export { requireRole, type Role } from '@emporium/service';
