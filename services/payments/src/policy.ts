import { definePolicy } from '@emporium/auth';

/**
 * Who may do what in payments: the whole policy, in one place (CASL via @emporium/auth). Whatever
 * is not granted here is denied; a suspended principal is denied everything (deny overrides).
 *
 * | principal                        | may                                                           |
 * | -------------------------------- | ------------------------------------------------------------- |
 * | customer                         | read the Payment of their own orders (`customerId` = theirs)  |
 * | admin                            | read any Payment, the Ledger and the reconciliation Findings  |
 * | admin with a refund limit        | make a Refund of at most that amount, in that currency        |
 * | admin without a refund limit     | no Refund                                                     |
 * | support, merchandiser, services  | nothing here                                                  |
 *
 * The resources are plain objects of the fields the conditions name:
 * Payment `{ orderId, customerId }`, Refund `{ orderId, amount, currency }` (minor units).
 */
export type PaymentAction = 'read' | 'refund';
export type PaymentSubject = 'Payment' | 'Ledger' | 'Finding' | 'Refund';

export const paymentsPolicy = definePolicy<PaymentAction, PaymentSubject>((can, _cannot, principal) => {
  // Roles belong to people: a client-credentials token holds none here, whatever it carries.
  if (principal.kind !== 'user') return;
  // customerId is set only for a user holding the role customer (never a condition on undefined).
  if (principal.customerId) can('read', 'Payment', { customerId: principal.customerId });
  if (principal.roles.includes('admin')) {
    can('read', ['Payment', 'Ledger', 'Finding']);
    if (principal.refundLimit) {
      const { amount, currency } = principal.refundLimit;
      can('refund', 'Refund', { currency, amount: { $lte: amount } });
    }
  }
});
