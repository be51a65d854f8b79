/**
 * The order's states and every allowed change between them (I11: an order's history only follows
 * these edges, whatever order the replies arrive in). The same list is enforced by a trigger in
 * the database (migration 0001), so a bug cannot write a forbidden change either.
 *
 *   pending ─▶ reserving ─▶ authorizing ─▶ capturing ─▶ confirmed ─▶ cancelling ─▶ cancelled
 *                  │              │             │  ╲                       │
 *                  └──────────────┴─────────────┴───▶ cancelled            └─▶ needs_attention
 *                                                     (compensated)            (refund refused)
 */
export const ORDER_STATUSES = [
  'pending',
  'reserving',
  'authorizing',
  'capturing',
  'confirmed',
  'cancelling',
  'cancelled',
  'needs_attention',
] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];

export const ORDER_TRANSITIONS: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  // Born pending; the saga starts in the same transaction that stores the order.
  pending: ['reserving'],
  reserving: ['authorizing', 'cancelled'],
  authorizing: ['capturing', 'cancelled'],
  // The pivot: confirmed; cancelled when the capture failed (void + release); cancelling when a
  // cancellation asked for during the pivot meets a successful capture (refund).
  capturing: ['confirmed', 'cancelled', 'cancelling'],
  // After the pivot the only way back is a refund.
  confirmed: ['cancelling'],
  cancelling: ['cancelled', 'needs_attention'],
  cancelled: [],
  // A refund the provider refused: an operator decides; a later refund success still closes it.
  needs_attention: ['cancelled'],
};

export const canMove = (from: OrderStatus, to: OrderStatus) => ORDER_TRANSITIONS[from].includes(to);
