import {
  InventoryReservationCommittedV1,
  InventoryReservationFailedV1,
  InventoryReservationReleasedV1,
  InventoryReservationSucceededV1,
  PaymentsAuthorizationFailedV1,
  PaymentsAuthorizationSucceededV1,
  PaymentsCaptureFailedV1,
  PaymentsCaptureSucceededV1,
  PaymentsPaymentVoidedV1,
  PaymentsRefundFailedV1,
  PaymentsRefundSucceededV1,
} from '@emporium/contracts';
import { createEnvelope, type DataOf, type Envelope, type MessageDefinition, type Transport } from '@emporium/messaging';
import { uniqueName } from '@emporium/testing';
import { randomUUID } from 'node:crypto';

/**
 * Inventory and payments as orders sees them across the network: they consume orders' commands
 * from the broker and publish their replies there. Small, in-memory, and idempotent by order id
 * like the real services (a command sent again gets the same answer, and acts once).
 */

type Line = { sku: string; quantity: number };
type Money = { amount: number; currency: string };

/** Every message a double received or sent, in order. */
class Recorder {
  readonly received: Envelope<any>[] = [];
  constructor(
    protected readonly transport: Transport,
    private readonly source: string,
  ) {}

  /** Records a command once per message id (a redelivery is the same command). */
  record(command: Envelope<any>): void {
    if (!this.received.some((e) => e.id === command.id)) this.received.push(command);
  }

  /** The command types received about one order, in order of arrival. */
  commandsFor(orderId: string): string[] {
    return this.received.filter((e) => e.data.orderId === orderId).map((e) => e.type);
  }

  count(orderId: string, type: string): number {
    return this.commandsFor(orderId).filter((t) => t === type).length;
  }

  /** Publishes a reply as this service would (subject: the order id); `id` to send one message again. Returns the message id. */
  async reply<M extends MessageDefinition>(def: M, data: DataOf<M>, id?: string): Promise<string> {
    const orderId = (data as { orderId: string }).orderId;
    const envelope = createEnvelope(def, data, { source: this.source, subject: orderId, ...(id ? { id } : {}) });
    await this.transport.publish([envelope]);
    return envelope.id;
  }
}

interface Reservation {
  lines: Line[];
  expiresAt: string;
  state: 'held' | 'committed' | 'released';
}

export class InventoryDouble extends Recorder {
  /** Units free per SKU; a SKU not listed has plenty. */
  private readonly free = new Map<string, number>();
  private readonly paused = new Map<string, Envelope<any>[]>();
  readonly reservations = new Map<string, Reservation>();

  constructor(transport: Transport) {
    super(transport, 'inventory');
  }

  setStock(sku: string, units: number): void {
    this.free.set(sku, units);
  }

  available(sku: string): number | undefined {
    return this.free.get(sku);
  }

  /** Reservations with this SKU are received but not answered (inventory slow or down) until resume(). */
  pause(sku: string): void {
    this.paused.set(sku, []);
  }

  async resume(sku: string): Promise<void> {
    const held = this.paused.get(sku) ?? [];
    this.paused.delete(sku);
    for (const command of held) await this.handle(command);
  }

  async handle(command: Envelope<any>): Promise<unknown> {
    const { orderId } = command.data as { orderId: string };
    if (command.type === 'inventory.reserve.requested.v1') {
      const { lines, expiresAt } = command.data as { lines: Line[]; expiresAt: string };
      const pausedSku = lines.find((l) => this.paused.has(l.sku))?.sku;
      if (pausedSku) {
        this.paused.get(pausedSku)?.push(command);
        return;
      }
      const known = this.reservations.get(orderId);
      if (known) return this.reply(InventoryReservationSucceededV1, { orderId, lines: known.lines, expiresAt: known.expiresAt });
      const shortages = lines
        .filter((l) => (this.free.get(l.sku) ?? Number.MAX_SAFE_INTEGER) < l.quantity)
        .map((l) => ({ sku: l.sku, requested: l.quantity, available: this.free.get(l.sku) ?? 0 }));
      if (shortages.length) return this.reply(InventoryReservationFailedV1, { orderId, reason: 'out_of_stock', shortages });
      for (const l of lines) if (this.free.has(l.sku)) this.free.set(l.sku, (this.free.get(l.sku) as number) - l.quantity);
      this.reservations.set(orderId, { lines, expiresAt, state: 'held' });
      return this.reply(InventoryReservationSucceededV1, { orderId, lines, expiresAt });
    }
    const reservation = this.reservations.get(orderId);
    if (command.type === 'inventory.commit.requested.v1') {
      if (!reservation || reservation.state === 'released') return;
      reservation.state = 'committed';
      return this.reply(InventoryReservationCommittedV1, { orderId, lines: reservation.lines });
    }
    if (command.type === 'inventory.release.requested.v1') {
      if (reservation?.state !== 'held') return this.reply(InventoryReservationReleasedV1, { orderId, reason: 'requested', lines: [] });
      reservation.state = 'released';
      for (const l of reservation.lines) if (this.free.has(l.sku)) this.free.set(l.sku, (this.free.get(l.sku) as number) + l.quantity);
      return this.reply(InventoryReservationReleasedV1, { orderId, reason: 'requested', lines: reservation.lines });
    }
  }
}

/**
 * Test payment methods, after the payment-provider sandbox (sandboxes/payment-provider/API.md),
 * plus a few of this double's own for the later steps.
 */
export const PM = {
  visa: 'pm_card_visa',
  declined: 'pm_card_chargeDeclined',
  /** A card challenge the customer never completes: the authorization is never answered. */
  challengeNeverCompleted: 'pm_card_authenticationRequired',
  /** Authorized, but the capture is refused. */
  captureRefused: 'pm_test_capture_refused',
  /** Authorized; captures are not answered until answerCaptures(). */
  captureSilent: 'pm_test_capture_silent',
  /** Everything works but the refund, which is refused. */
  refundRefused: 'pm_test_refund_refused',
  /** Nothing is ever answered: the test plays payments itself. */
  silent: 'pm_test_silent',
} as const;

interface Payment {
  token: string;
  customerId: string;
  amount: Money;
  paymentId: string;
  authorized: boolean;
  captures: number;
  voided: boolean;
  refunds: Map<string, Money>;
}

export class PaymentsDouble extends Recorder {
  readonly payments = new Map<string, Payment>();
  private readonly heldCaptures: Envelope<any>[] = [];

  constructor(transport: Transport) {
    super(transport, 'payments');
  }

  /** Answers the captures held back so far for PM.captureSilent (successfully). */
  async answerCaptures(): Promise<void> {
    for (const command of this.heldCaptures.splice(0)) {
      const payment = this.payments.get(command.data.orderId);
      if (!payment) continue;
      payment.captures = 1;
      await this.reply(PaymentsCaptureSucceededV1, { orderId: command.data.orderId, paymentId: payment.paymentId, amount: payment.amount });
    }
  }

  heldCaptureCount(orderId: string): number {
    return this.heldCaptures.filter((c) => c.data.orderId === orderId).length;
  }

  async handle(command: Envelope<any>): Promise<unknown> {
    const { orderId } = command.data as { orderId: string };
    if (command.type === 'payments.authorize.requested.v1') {
      const { customerId, amount, paymentMethod } = command.data as { customerId: string; amount: Money; paymentMethod: string };
      if (paymentMethod === PM.silent || paymentMethod === PM.challengeNeverCompleted) return;
      if (paymentMethod === PM.declined) {
        return this.reply(PaymentsAuthorizationFailedV1, { orderId, code: 'card_declined', reason: 'Your card was declined.' });
      }
      const payment = this.payments.get(orderId) ?? {
        token: paymentMethod,
        customerId,
        amount,
        paymentId: randomUUID(),
        authorized: true,
        captures: 0,
        voided: false,
        refunds: new Map(),
      };
      this.payments.set(orderId, payment);
      return this.reply(PaymentsAuthorizationSucceededV1, { orderId, paymentId: payment.paymentId, amount });
    }
    const payment = this.payments.get(orderId);
    if (!payment) return;
    if (command.type === 'payments.capture.requested.v1') {
      if (payment.token === PM.captureSilent) {
        this.heldCaptures.push(command);
        return;
      }
      if (payment.token === PM.captureRefused || payment.voided) {
        return this.reply(PaymentsCaptureFailedV1, { orderId, reason: 'The authorization expired before the payment was taken.' });
      }
      payment.captures = 1; // keyed by order: a capture asked again takes nothing more
      return this.reply(PaymentsCaptureSucceededV1, { orderId, paymentId: payment.paymentId, amount: payment.amount });
    }
    if (command.type === 'payments.void.requested.v1') {
      if (payment.captures > 0) return;
      payment.voided = true;
      return this.reply(PaymentsPaymentVoidedV1, { orderId });
    }
    if (command.type === 'payments.refund.requested.v1') {
      const { refundId } = command.data as { refundId: string };
      if (payment.token === PM.refundRefused) {
        return this.reply(PaymentsRefundFailedV1, { orderId, refundId, reason: 'The payment provider refused the refund.' });
      }
      if (payment.captures === 0) return this.reply(PaymentsRefundFailedV1, { orderId, refundId, reason: 'Nothing was captured.' });
      payment.refunds.set(refundId, payment.amount); // keyed by refundId: asked again, refunded once
      return this.reply(PaymentsRefundSucceededV1, { orderId, refundId, customerId: payment.customerId, amount: payment.amount });
    }
  }
}

/** What orders announces (orders.order.*), as notifications would receive it. */
export class EventLog {
  readonly events: Envelope<any>[] = [];
  of(orderId: string, type?: string): Envelope<any>[] {
    return this.events.filter((e) => e.data.orderId === orderId && (!type || e.type === type));
  }
}

export interface Doubles {
  inventory: InventoryDouble;
  payments: PaymentsDouble;
  events: EventLog;
  stop(): Promise<void>;
}

/** Starts the doubles on the broker orders uses: each consumes its commands on a queue of its own. */
export async function startDoubles(transport: Transport): Promise<Doubles> {
  const inventory = new InventoryDouble(transport);
  const payments = new PaymentsDouble(transport);
  const events = new EventLog();
  const consumers = [
    await transport.consume({ name: uniqueName('inventory-double'), bindings: ['inventory.*.requested.v1'] }, async (e) => {
      inventory.record(e);
      await inventory.handle(e);
    }),
    await transport.consume({ name: uniqueName('payments-double'), bindings: ['payments.*.requested.v1'] }, async (e) => {
      payments.record(e);
      await payments.handle(e);
    }),
    await transport.consume({ name: uniqueName('notifications-double'), bindings: ['orders.order.#'] }, async (e) => {
      if (!events.events.some((seen) => seen.id === e.id)) events.events.push(e);
    }),
  ];
  return {
    inventory,
    payments,
    events,
    stop: async () => {
      await Promise.all(consumers.map((c) => c.stop()));
    },
  };
}
