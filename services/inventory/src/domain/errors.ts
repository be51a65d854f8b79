import { AppError, conflict, notFound, unprocessable } from '@emporium/errors';

/** Every refusal of the inventory, each with its stable code (STYLE.md §8). Tests assert the code. */

export const skuNotFound = (sku: string) => notFound('sku_not_found', `No stock is kept for the SKU ${sku}`);

export const reservationNotFound = (orderId: string) => notFound('reservation_not_found', `No reservation exists for the order ${orderId}`);

/** On hand may not go below what is reserved (nor below zero): those units are promised to orders. */
export const belowReserved = (sku: string, location: string, reserved: number, onHand: number) =>
  conflict('below_reserved', `On hand of ${sku} at ${location} would be ${onHand}, below the ${reserved} units reserved`, {
    sku,
    location,
    reserved,
    onHand,
  });

/** The reference was used for this SKU with another location, quantity or reason (as the IETF Idempotency-Key draft: 422). */
export const referenceReused = (sku: string, reference: string) =>
  unprocessable('reference_reused', `The reference ${reference} was already used for ${sku} with another location, quantity or reason`, {
    sku,
    reference,
  });

/** A change the reservation's state machine does not allow: a bug, never a client's fault. */
export const illegalTransition = (orderId: string, from: string, to: string) =>
  new AppError('illegal_transition', `The reservation of ${orderId} cannot go from ${from} to ${to}`, 500);
