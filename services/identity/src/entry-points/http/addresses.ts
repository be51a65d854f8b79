import { problems, type ServiceApp } from '@emporium/service';
import { Type } from 'typebox';
import { addAddress, getAddress, listAddresses, removeAddress, replaceAddress } from '../../domain/addresses.js';
import type { IdentityDeps } from '../../domain/deps.js';
import { clientOf, requireCaller } from './caller.js';
import { AddressBody, AddressList, AddressParams, AddressView, CallerHeaders } from './schemas.js';
import { addressView } from './views.js';

const CALLER_PROBLEMS = {
  401: 'unauthenticated, invalid_token',
  403: 'forbidden (not a customer, a service token, or a suspended account)',
};
const BODY_PROBLEMS = {
  400: 'validation_failed (including unknown properties such as userId or customerId)',
  422: 'unknown_country',
};
const NOT_MINE = { 404: 'address_not_found (also for another user’s: no existence leak)' };

/** A customer's saved shipping addresses, owner only (`Authorization: Session` or `Bearer`). */
export function addressRoutes(app: ServiceApp, deps: IdentityDeps, trustedHops: number): void {
  const base = '/api/identity/me/addresses';

  app.get(
    base,
    {
      schema: {
        tags: ['addresses'],
        summary: 'My saved shipping addresses, newest first (at most 20)',
        headers: CallerHeaders,
        response: { 200: AddressList, ...problems(CALLER_PROBLEMS) },
      },
    },
    async (request) => ({ items: (await listAddresses(deps, await requireCaller(deps, request))).map(addressView) }),
  );

  app.post(
    base,
    {
      schema: {
        tags: ['addresses'],
        summary: 'Save a shipping address',
        headers: CallerHeaders,
        body: AddressBody,
        response: { 201: AddressView, ...problems({ ...BODY_PROBLEMS, ...CALLER_PROBLEMS, 409: 'too_many_addresses' }) },
      },
    },
    async (request, reply) => {
      const caller = await requireCaller(deps, request);
      const address = await addAddress(deps, caller, request.body, clientOf(request, trustedHops));
      return reply.status(201).header('location', `${base}/${address.id}`).send(addressView(address));
    },
  );

  app.get(
    `${base}/:id`,
    {
      schema: {
        tags: ['addresses'],
        summary: 'One of my addresses',
        headers: CallerHeaders,
        params: AddressParams,
        response: { 200: AddressView, ...problems({ 400: 'validation_failed', ...CALLER_PROBLEMS, ...NOT_MINE }) },
      },
    },
    async (request) => addressView(await getAddress(deps, await requireCaller(deps, request), request.params.id)),
  );

  app.put(
    `${base}/:id`,
    {
      schema: {
        tags: ['addresses'],
        summary: 'Replace one of my addresses',
        headers: CallerHeaders,
        params: AddressParams,
        body: AddressBody,
        response: { 200: AddressView, ...problems({ ...BODY_PROBLEMS, ...CALLER_PROBLEMS, ...NOT_MINE }) },
      },
    },
    async (request) => {
      const caller = await requireCaller(deps, request);
      return addressView(await replaceAddress(deps, caller, request.params.id, request.body, clientOf(request, trustedHops)));
    },
  );

  app.delete(
    `${base}/:id`,
    {
      schema: {
        tags: ['addresses'],
        summary: 'Remove one of my addresses',
        headers: CallerHeaders,
        params: AddressParams,
        response: {
          204: Type.Null({ description: 'Removed' }),
          ...problems({ 400: 'validation_failed', ...CALLER_PROBLEMS, ...NOT_MINE }),
        },
      },
    },
    async (request, reply) => {
      const caller = await requireCaller(deps, request);
      await removeAddress(deps, caller, request.params.id, clientOf(request, trustedHops));
      return reply.status(204).send(null);
    },
  );
}
