import {
  AbilityBuilder,
  type AbilityTuple,
  createMongoAbility,
  type MongoAbility,
  type MongoQuery,
  subject as tagSubject,
} from '@casl/ability';
import type { AppError } from '@emporium/errors';
import { forbidden, insufficientScope } from './errors.js';
import type { Principal } from './principal.js';

/** An ability over subjects named by strings (`'Order'`, `'Refund'`, ...), with MongoDB-style conditions. */
export type Ability<A extends string = string, S extends string = string> = MongoAbility<[A | 'manage', S | 'all'], MongoQuery>;

/**
 * `can`/`cannot` as a policy writes them: actions, subject types, and optional MongoDB-style
 * conditions on the resource's own fields (`{ customerId: p.customerId }`, `{ amount: { $lte: n } }`).
 */
export type PolicyRule<A extends string, S extends string> = (
  action: A | 'manage' | Array<A | 'manage'>,
  type: S | 'all' | S[],
  conditions?: MongoQuery,
) => { because(reason: string): unknown };

/**
 * One service's policy, written in one place: `define` says what a principal *can* (and, for
 * exceptions, *cannot*) do. Whatever it does not grant is denied (CASL denies by default). A
 * suspended principal is denied everything afterwards: the rule is added last, and in CASL a
 * later rule overrides an earlier one, so deny overrides.
 *
 * Grant conditions only on attributes the principal has: `can('read', 'Order', { region: p.region })`
 * with `p.region` undefined would match orders without a region.
 */
export function definePolicy<A extends string, S extends string>(
  define: (can: PolicyRule<A, S>, cannot: PolicyRule<A, S>, principal: Principal) => void,
): (principal: Principal) => Ability<A, S> {
  return (principal) => {
    // CASL's builder types cannot infer condition fields for string subjects; PolicyRule states them.
    const builder = new AbilityBuilder<MongoAbility>(createMongoAbility);
    const can: PolicyRule<A, S> = (action, type, conditions) => builder.can(action, type, conditions);
    const cannot: PolicyRule<A, S> = (action, type, conditions) => builder.cannot(action, type, conditions);
    define(can, cannot, principal);
    if (principal.suspended) builder.cannot('manage', 'all').because('The principal is suspended');
    return builder.build() as unknown as Ability<A, S>;
  };
}

/**
 * 403 `forbidden` unless the principal may do `action` on this resource (or on the type when no
 * resource is given, e.g. `create`). The resource is copied, never tagged in place.
 */
export function authorize<A extends string, S extends string>(ability: Ability<A, S>, action: A, type: S, resource?: object): void {
  if (!allowed(ability, action, type, resource)) throw forbidden();
}

/**
 * For resources whose existence is itself private (another customer's order): when the principal
 * may not even `read` the resource, throw `notFound` — the same answer as for an id that does not
 * exist — and only then 403 for an action it may not do on a resource it can see.
 */
export function authorizeVisible<A extends string, S extends string>(
  ability: Ability<A, S>,
  action: A,
  type: S,
  resource: object,
  notFound: () => AppError,
  visibleAction = 'read' as A,
): void {
  if (!allowed(ability, visibleAction, type, resource)) throw notFound();
  if (!allowed(ability, action, type, resource)) throw forbidden();
}

/** Whether the ability allows `action` on the resource (or on the type). */
export function allowed<A extends string, S extends string>(ability: Ability<A, S>, action: A, type: S, resource?: object): boolean {
  const target = resource === undefined ? type : tagSubject(type, { ...resource });
  return (ability as MongoAbility<AbilityTuple, MongoQuery>).can(action, target);
}

/** 403 `insufficient_scope` unless the token grants `scope` (service-to-service calls). */
export function requireScope(principal: Principal, scope: string): void {
  if (principal.suspended || !principal.scopes.includes(scope)) throw insufficientScope(scope);
}
