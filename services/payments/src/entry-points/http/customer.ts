import { authenticate, type ServiceApp } from '@emporium/service';
import type { PaymentsDeps } from '../../domain/deps.js';
import { getRefundsOfPayment } from '../../domain/read-payments.js';
import { CustomerPaymentView, OrderParams, problems } from './schemas.js';
import { customerPaymentView } from './views.js';

/**
 * The customer's view of the payment of one of their orders. Whether the caller may see it is the
 * policy's (policy.ts): the order's customer may (and an admin, who may read any payment);
 * anyone else — another customer, support — gets the same 404 as for an order without a payment
 * (no existence leak).
 */
export function customerRoutes(app: ServiceApp, deps: PaymentsDeps): void {
  app.get(
    '/api/payments/my/orders/:orderId',
    {
      // Anonymous → 401 before anything else is looked at (the principal is memoized for the handler).
      onRequest: async (request) => {
        await authenticate(request);
      },
      schema: {
        tags: ['customer'],
        summary: 'The payment of one of my orders: its status, amounts and refunds',
        params: OrderParams,
        response: {
          200: CustomerPaymentView,
          ...problems({
            400: 'validation_failed',
            401: 'unauthenticated, invalid_token',
            403: 'forbidden (a suspended account)',
            404: 'payment_not_found',
          }),
        },
      },
    },
    async (request) => customerPaymentView(await getRefundsOfPayment(deps, await authenticate(request), request.params.orderId)),
  );
}
