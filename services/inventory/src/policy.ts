import { definePolicy, type Principal, type Role } from '@emporium/auth';

/**
 * Who may do what with stock over HTTP: the whole policy, in one place (CASL through
 * @emporium/auth: whatever is not granted is denied, and a suspended principal is denied
 * everything).
 *
 * | who                                      | may                                                    |
 * | ---------------------------------------- | ------------------------------------------------------ |
 * | a user who is support                    | read stock levels and reservations                     |
 * | a user who is merchandiser or admin      | read them, count stock (set on hand), record receipts  |
 * |                                          | and write-offs                                         |
 * | anyone else (customers, services, none)  | nothing                                                |
 *
 * Reservations change only through the checkout saga's messages, never over HTTP, so no one is
 * granted more than reading them. The saga's commands are not subject to this policy: they come
 * over the broker from the orders service, not from a caller with a token.
 *
 * How the routes apply it: each route is guarded by `requireRole(...)` with the roles below as
 * `onRequest`, so a refused caller's body is never read; no rule depends on the SKU, the location
 * or the order.
 */
export type InventoryAction = 'read' | 'count' | 'receive';
export type InventorySubject = 'Stock' | 'Reservation';

/** The roles that may read stock levels and reservations (support answers customers about their orders). */
export const STOCK_READERS = ['support', 'merchandiser', 'admin'] as const satisfies readonly Role[];

/** The roles that may change stock: counts (set on hand) and receipts (including write-offs). */
export const STOCK_WRITERS = ['merchandiser', 'admin'] as const satisfies readonly Role[];

const holds = (p: Principal, roles: readonly Role[]) => p.kind === 'user' && p.roles.some((role) => roles.includes(role));

/** The inventory's ability for a verified caller. */
export const inventoryPolicy = definePolicy<InventoryAction, InventorySubject>((can, _cannot, p) => {
  if (holds(p, STOCK_READERS)) can('read', ['Stock', 'Reservation']);
  if (holds(p, STOCK_WRITERS)) can(['count', 'receive'], 'Stock');
});
