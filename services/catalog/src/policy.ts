import { type Ability, definePolicy, type Principal, type Role } from '@emporium/auth';

/**
 * Who may do what in the catalog: the whole policy, in one place (CASL through @emporium/auth:
 * whatever is not granted is denied, and a suspended principal is denied everything).
 *
 * | who                                      | may                                                          |
 * | ---------------------------------------- | ------------------------------------------------------------ |
 * | anyone, even without a token             | read products and SKUs                                       |
 * | a user who is merchandiser or admin      | create and edit products, publish or archive them (status),  |
 * |                                          | add SKUs and set their prices                                |
 * | the orders service (client credentials)  | read prices at /internal/catalog/prices with `catalog:prices`|
 *
 * The catalog has no drafts: whatever it holds is published, active or archived (an archived
 * product stays readable, order history links to it). Reading needs no token, so the read routes
 * never look at one: a suspended account reads what an anonymous visitor reads, no more.
 *
 * How the routes apply it: the writer routes are guarded by `requireRole(...CATALOG_WRITERS)` as
 * `onRequest`, so a refused caller's body is never read; no rule depends on the product itself.
 * The service-to-service route is guarded by `requireServiceScope(PRICES_SCOPE)`.
 */
export type CatalogAction = 'read' | 'create' | 'update' | 'publish';
export type CatalogSubject = 'Product' | 'Sku';

/** The roles that may change the catalog. */
export const CATALOG_WRITERS = ['merchandiser', 'admin'] as const satisfies readonly Role[];

/** The scope a service token needs to read prices over /internal/catalog/prices (the orders service). */
export const PRICES_SCOPE = 'catalog:prices';

/** Who calls without a token: no roles, no scopes. */
export const ANONYMOUS: Principal = Object.freeze({
  subject: 'anonymous',
  kind: 'user',
  roles: [],
  customerId: undefined,
  region: undefined,
  refundLimit: undefined,
  suspended: false,
  clientId: 'anonymous',
  scopes: [],
  tokenId: undefined,
});

const holds = (p: Principal, roles: readonly Role[]) => p.kind === 'user' && p.roles.some((role) => roles.includes(role));

const policy = definePolicy<CatalogAction, CatalogSubject>((can, _cannot, p) => {
  can('read', ['Product', 'Sku']);
  if (holds(p, CATALOG_WRITERS)) can(['create', 'update', 'publish'], ['Product', 'Sku']);
});

/** The catalog's ability for a caller; `undefined` is an anonymous one. */
export function catalogPolicy(principal: Principal | undefined): Ability<CatalogAction, CatalogSubject> {
  return policy(principal ?? ANONYMOUS);
}
