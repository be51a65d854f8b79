import { createEnvelope, type DataOf, type Envelope, type MessageDefinition } from '@emporium/messaging';
import type { OrderData, SagaPolicy } from '../order-data.js';
import type { OrderStatus } from '../status.js';

export const SAGA_STEP_IDS = ['reserveStock', 'authorizePayment', 'commitStockAndCapture', 'confirm'] as const;
export type SagaStepId = (typeof SAGA_STEP_IDS)[number];

/**
 * One step of the checkout saga (STYLE.md §7): a stable id, the command that invokes it and the
 * one that undoes it. Every command is keyed by the order id, so sending one again is harmless
 * (the receiving service applies it once).
 *
 * - `compensable` steps come before the pivot and are undone when the saga cannot go on;
 * - the `pivot` is the point of no return: after it the only undo is a refund;
 * - `final` steps only go forward and wait for no answer.
 */
export interface SagaStep {
  id: SagaStepId;
  kind: 'compensable' | 'pivot' | 'final';
  /** The order's status while this step runs. */
  status: OrderStatus;
  invoke(order: OrderData): Envelope[];
  compensate?(order: OrderData, reason: string): Envelope[];
  /** When to stop waiting for this step's answer; null for a step that waits for none. */
  deadline(order: OrderData, policy: SagaPolicy, now: Date): Date | null;
}

export const ORDERS_SOURCE = 'orders';

/** A message about one order: its subject is the order id (contracts/src/checkout.ts). */
export const aboutOrder = <M extends MessageDefinition>(def: M, order: OrderData, data: DataOf<M>): Envelope =>
  createEnvelope(def, data, { source: ORDERS_SOURCE, subject: order.id });

/** Reasons travel in messages limited to 500 characters. */
export const clip = (text: string, max = 500) => (text.length <= max ? text : `${text.slice(0, max - 1)}…`);
