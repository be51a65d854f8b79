import type { Money } from './money.js';
import type { OrderStatus } from './status.js';
import type { SagaStepId } from './steps/step.js';

export interface OrderLine {
  sku: string;
  /** The product's name when the order was placed (the catalog may rename it later). */
  name: string;
  quantity: number;
  /** The catalog's price when the order was placed, never the client's. */
  unitPrice: Money;
}

export interface ShippingAddress {
  name: string;
  line1: string;
  line2?: string | undefined;
  city: string;
  postalCode: string;
  /** ISO 3166-1 alpha-2. */
  country: string;
}

/**
 * Everything persisted about an order: what was bought, and the state of its checkout saga (the
 * step in progress, its deadline and attempts, and what each step returned — what its undo needs).
 */
export interface OrderData {
  id: string;
  customerId: string;
  /** The customer's region when they placed the order (their token's `region`); who in support may read it. */
  region: string | null;
  email: string;
  shippingAddress: ShippingAddress;
  lines: OrderLine[];
  total: Money;
  status: OrderStatus;

  /** The saga step waited for (or, while cancelling, the step being compensated); null at rest. */
  step: SagaStepId | null;
  stepStartedAt: Date | null;
  /** When the step is given up waiting for (the timeout job acts then); null at rest. */
  stepDeadline: Date | null;
  /** Sends of the step's command so far (1 after the first). */
  stepAttempts: number;

  /** The provider's payment-method token: kept only until the authorization settles. Never logged. */
  paymentMethod: string | null;
  /** Until when inventory holds the stock: asked for at first, then as inventory answered. */
  reservationExpiresAt: Date | null;
  stockReservedAt: Date | null;
  paymentId: string | null;
  paymentAuthorizedAt: Date | null;
  paymentCapturedAt: Date | null;
  stockCommittedAt: Date | null;
  stockReleasedAt: Date | null;
  paymentVoidedAt: Date | null;
  confirmedAt: Date | null;
  cancelledAt: Date | null;
  /** A cancellation asked for during the pivot waits for the pivot's outcome. */
  cancelRequestedAt: Date | null;
  /** Why the order was (or is being) cancelled, in words a customer reads. */
  cancelReason: string | null;
  /** The key of the one refund this order may ask for (reused on every retry). */
  refundId: string | null;
  refundedAt: Date | null;

  createdAt: Date;
  updatedAt: Date;
  version: number;
}

/** The saga's waits, from the configuration. */
export interface SagaPolicy {
  reservationTtlMs: number;
  reserveTimeoutMs: number;
  authorizeTimeoutMs: number;
  captureTimeoutMs: number;
  refundTimeoutMs: number;
  /** Sends of a step command before giving up (pre-pivot) or counting the saga as stuck (pivot, refund). */
  maxAttempts: number;
}

export const addMs = (at: Date, ms: number) => new Date(at.getTime() + ms);
