import type { ServiceApp } from '@emporium/service';
import type { InventoryDeps } from '../../domain/deps.js';
import { getReservation } from '../../domain/get-reservation.js';
import { stockReaders } from './access.js';
import { OrderParams, problems, ReservationView, StaffHeaders } from './schemas.js';
import { reservationView } from './views.js';

/** Reservations are made by messages (the checkout saga); staff can read them here. */
export function reservationRoutes(app: ServiceApp, deps: InventoryDeps): void {
  app.get(
    '/api/inventory/reservations/:orderId',
    {
      onRequest: stockReaders(),
      schema: {
        tags: ['reservations'],
        summary: "Read an order's reservation: its state, lines and where its units are held",
        headers: StaffHeaders,
        params: OrderParams,
        response: {
          200: ReservationView,
          ...problems({
            400: 'validation_failed: the order id is not a UUID',
            401: 'unauthenticated (no token), invalid_token',
            403: 'forbidden',
            404: 'reservation_not_found',
          }),
        },
      },
    },
    async (request) => reservationView(await getReservation(deps, request.params.orderId)),
  );
}
