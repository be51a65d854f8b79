import type { FailureReason, ReservationRecord, ReservationStatus } from '../data-access/tables.js';
import { illegalTransition } from './errors.js';
import type { Line, Shortage } from './lines.js';

export type Reservation = ReservationRecord;
export type { ReservationStatus };

/**
 * The reservation of one order, a state machine (the database trigger
 * `reservations_status_transition` enforces the same edges for every writer):
 *
 *   (new) ──► reserved ──► committed ──► released      (cancelled after the commit: units back on hand)
 *      │         ├───────► released                     (compensation: units back to available)
 *      │         └───────► expired ──► committed        (a late commit that could reserve again)
 *      │                       └─────► failed           (a late commit that could not)
 *      └───► failed                                      (nothing could be reserved)
 *
 * released and failed are final. Every command is keyed by the order id: one that finds the
 * reservation past the state it would lead to answers the outcome again and changes nothing.
 */
const EDGES: Record<ReservationStatus, readonly ReservationStatus[]> = {
  reserved: ['committed', 'released', 'expired'],
  committed: ['released'],
  expired: ['committed', 'failed'],
  released: [],
  failed: [],
};

export function canMove(from: ReservationStatus, to: ReservationStatus): boolean {
  return EDGES[from].includes(to);
}

function moved(r: Reservation, to: ReservationStatus, now: Date): Reservation {
  if (!canMove(r.status, to)) throw illegalTransition(r.orderId, r.status, to);
  return { ...r, status: to, updatedAt: now };
}

/** When the reservation lapses: the command's deadline, but never later than the configured TTL from now. */
export function expiryOf(requested: Date, now: Date, ttlMs: number): Date {
  const cap = now.getTime() + ttlMs;
  return new Date(Math.min(requested.getTime(), cap));
}

export function newReservation(orderId: string, lines: Line[], expiresAt: Date, now: Date): Reservation {
  return {
    orderId,
    status: 'reserved',
    lines,
    expiresAt,
    failureReason: null,
    shortages: null,
    createdAt: now,
    updatedAt: now,
    committedAt: null,
    releasedAt: null,
  };
}

export function failedReservation(orderId: string, lines: Line[], reason: FailureReason, shortages: Shortage[], now: Date): Reservation {
  return {
    orderId,
    status: 'failed',
    lines,
    expiresAt: null,
    failureReason: reason,
    shortages,
    createdAt: now,
    updatedAt: now,
    committedAt: null,
    releasedAt: null,
  };
}

export const committed = (r: Reservation, now: Date): Reservation => ({ ...moved(r, 'committed', now), committedAt: now });

export const released = (r: Reservation, now: Date): Reservation => ({ ...moved(r, 'released', now), releasedAt: now });

export const expired = (r: Reservation, now: Date): Reservation => ({ ...moved(r, 'expired', now), releasedAt: now });

/** An expired reservation whose late commit found too little stock: final, so every later commit gets this answer. */
export const lateCommitFailed = (r: Reservation, shortages: Shortage[], now: Date): Reservation => ({
  ...moved(r, 'failed', now),
  failureReason: 'out_of_stock',
  shortages,
});

/** Whether the units of the order are held now (reserved) or were taken off the shelf (committed). */
export const holdsUnits = (r: Reservation) => r.status === 'reserved';
