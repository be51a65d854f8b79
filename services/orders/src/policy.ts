import { type Ability, definePolicy } from '@emporium/auth';
import { rulesToCondition } from '@casl/ability/extra';

/**
 * Who may do what in the orders service — the whole policy, in one place. Whatever is not granted
 * here is denied (CASL, default deny); a suspended principal is denied everything (platform/auth
 * adds that rule last, and a later rule wins). Tested as a table in test/policy.test.ts.
 *
 * | principal                 | place  | read an Order                     | cancel an Order | read a Saga (inspector) |
 * | ------------------------- | ------ | --------------------------------- | --------------- | ----------------------- |
 * | customer                  | yes    | their own (`customerId`)          | their own       | no                      |
 * | support with a region     | no     | of their region (`region`)        | no              | no                      |
 * | support without a region  | no     | none                              | no              | no                      |
 * | admin                     | no     | every one                         | no              | yes                     |
 * | merchandiser, service     | no     | none                              | no              | no                      |
 *
 * A condition is granted only when the principal has the attribute (`p.region &&`): a condition
 * `{ region: undefined }` would match the orders placed without a region.
 */
export type OrderAction = 'place' | 'read' | 'cancel';
export type OrderSubject = 'Order' | 'Saga';
export type OrdersAbility = Ability<OrderAction, OrderSubject>;

export const ordersPolicy = definePolicy<OrderAction, OrderSubject>((can, _cannot, p) => {
  // Only people act on orders through these routes; a service token (client credentials) gets nothing.
  if (p.kind !== 'user') return;
  if (p.roles.includes('customer') && p.customerId) {
    can('place', 'Order');
    can(['read', 'cancel'], 'Order', { customerId: p.customerId });
  }
  if (p.roles.includes('support') && p.region) can('read', 'Order', { region: p.region });
  if (p.roles.includes('admin')) {
    can('read', 'Order');
    can('read', 'Saga');
  }
});

/** What a policy decision looks at on an order: its owner and region, nothing else. */
export interface OrderAccess {
  customerId: string;
  region: string | null;
}

/** The fields of an Order the policy's conditions may name; a list can be filtered on them in SQL. */
export const ORDER_FIELDS = ['customerId', 'region'] as const;
export type OrderField = (typeof ORDER_FIELDS)[number];

/**
 * The orders a principal may `action`, as a condition over ORDER_FIELDS derived from the policy's
 * own rules (CASL's rulesToCondition: the `can` rules or'ed, each bounded by the `cannot` rules
 * above it), so that a list filters exactly as a single read decides. `null`: none at all;
 * `{ and: [] }`: every order.
 */
export type OrderScope = { and: OrderScope[] } | { or: OrderScope[] } | { not: OrderScope } | { field: OrderField; equals: string };

export function orderScopeOf(ability: OrdersAbility, action: OrderAction): OrderScope | null {
  return rulesToCondition<OrdersAbility, OrderScope, OrderScope>(
    ability.rulesFor(action, 'Order'),
    (rule) => conditionOf(rule.conditions, rule.inverted),
    { and: (of) => ({ and: of }), or: (of) => ({ or: of }), empty: () => ({ and: [] }) },
  );
}

/** One rule's conditions: only equality on a known field can become a filter; anything else is a bug here, not a silent grant. */
function conditionOf(conditions: unknown, inverted: boolean): OrderScope {
  const equalities = Object.entries((conditions ?? {}) as Record<string, unknown>).map(([field, value]): OrderScope => {
    if (!(ORDER_FIELDS as readonly string[]).includes(field) || typeof value !== 'string')
      throw new Error(`The orders policy has a condition on ${field} that a list cannot filter by`);
    return { field: field as OrderField, equals: value };
  });
  const all: OrderScope = equalities.length === 1 ? equalities[0]! : { and: equalities };
  return inverted ? { not: all } : all;
}
