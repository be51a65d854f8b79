import { definePolicy } from '@emporium/auth';

/**
 * The example policy of the README, as the orders service would write it in one file
 * (services/orders/src/domain/policy.ts). Everything not granted here is denied.
 */
export type OrderAction = 'read' | 'cancel' | 'refund';
export type OrderSubject = 'Order' | 'Refund';

export const ordersPolicy = definePolicy<OrderAction, OrderSubject>((can, _cannot, principal) => {
  if (principal.roles.includes('customer') && principal.customerId) {
    can(['read', 'cancel'], 'Order', { customerId: principal.customerId });
  }
  if (principal.roles.includes('support') && principal.region) {
    can('read', 'Order', { region: principal.region });
  }
  if (principal.roles.includes('admin')) {
    can('read', 'Order');
    if (principal.refundLimit) {
      const { amount, currency } = principal.refundLimit;
      can('refund', 'Refund', { currency, amount: { $lte: amount } });
    }
  }
});
