import { definePolicy } from '@emporium/auth';

/**
 * Who may do what in notifications: the whole policy, in one place (CASL via @emporium/auth).
 * Whatever is not granted here is denied; a suspended principal is denied everything.
 *
 * | principal                        | may                                                                 |
 * | -------------------------------- | ------------------------------------------------------------------- |
 * | customer                         | read and mark read the FeedEntry of their own feed (`customerId`)   |
 * | admin                            | read, register and remove partner Endpoints; read Deliveries and    |
 * |                                  | replay a parked one                                                 |
 * | support, merchandiser, services  | nothing here                                                        |
 *
 * Resources are plain objects: FeedEntry `{ id, customerId }`; Endpoint and Delivery are checked
 * on the type (admins manage all of them).
 */
export type NotificationAction = 'read' | 'mark_read' | 'register' | 'remove' | 'replay';
export type NotificationSubject = 'FeedEntry' | 'Endpoint' | 'Delivery';

export const notificationsPolicy = definePolicy<NotificationAction, NotificationSubject>((can, _cannot, principal) => {
  // Roles belong to people: a client-credentials token holds none here, whatever it carries.
  if (principal.kind !== 'user') return;
  // customerId is set only for a user holding the role customer (never a condition on undefined).
  if (principal.customerId) can(['read', 'mark_read'], 'FeedEntry', { customerId: principal.customerId });
  if (principal.roles.includes('admin')) {
    can(['read', 'register', 'remove'], 'Endpoint');
    can(['read', 'replay'], 'Delivery');
  }
});
