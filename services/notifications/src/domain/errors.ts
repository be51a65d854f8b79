import { badRequest, conflict, notFound } from '@emporium/errors';

/** Every refusal of the notifications service, each with its stable code (STYLE.md §8). */

export const feedEntryNotFound = (id: string) => notFound('notification_not_found', `No notification of yours has the id ${id}`);

export const endpointNotFound = (id: string) => notFound('endpoint_not_found', `No partner endpoint has the id ${id}`);

export const endpointExists = (partner: string) =>
  conflict('endpoint_exists', `The partner ${partner} already has an endpoint with this URL`, { partner });

export const invalidEndpointUrl = () => badRequest('invalid_url', 'The URL must be http or https, without user or password in it');

export const endpointFromConfig = (id: string) =>
  conflict('endpoint_managed_by_config', `The endpoint ${id} comes from NOTIFICATIONS_PARTNER_ENDPOINTS; change the configuration instead`);

export const deliveryNotFound = (id: string) => notFound('delivery_not_found', `No delivery has the id ${id}`);

export const deliveryNotParked = (id: string) => conflict('delivery_not_parked', `The delivery ${id} is not parked`);

export const invalidCursor = () => badRequest('invalid_cursor', 'The cursor is not one this service issued');
