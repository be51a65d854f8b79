import { randomBytes, randomUUID } from 'node:crypto';
import {
  PaymentsAuthorizeRequestedV1,
  PaymentsCaptureRequestedV1,
  PaymentsRefundRequestedV1,
  PaymentsVoidRequestedV1,
} from '@emporium/contracts';
import { sql } from '@emporium/db';
import { createEnvelope, type DataOf, type Envelope, type MessageDefinition, type Transport } from '@emporium/messaging';
import { type PaymentProviderHandle, startPaymentProvider } from '@emporium/sandbox-payment-provider';
import { bearerFor, freePort, startTestService, type TestCaller, type TestService, uniqueName, waitFor } from '@emporium/testing';
import { expect } from 'vitest';
import { type PaymentsConfig, type PaymentsDatabase, paymentsModule } from '../../src/index.js';

/**
 * The payments service with the payment-provider SANDBOX across the network (the real one from
 * sandboxes/payment-provider, started in this process on a free port), and a probe consuming
 * every reply payments publishes. Each test makes its own orders (fresh UUIDs): no cleanup.
 */

export type Payments = TestService<PaymentsDatabase, PaymentsConfig>;

export const aWebhookSecret = () => `whsec_${randomBytes(32).toString('base64')}`;

/** Short timeouts, retries and polls, so that faults resolve in well under a second. */
export const FAST = {
  PAYMENT_PROVIDER_TIMEOUT_MS: '1000',
  PAYMENTS_WORKER_LEASE_MS: '3000',
  PAYMENTS_WORKER_POLL_MS: '50',
  PAYMENTS_RETRY_DELAYS_MS: '100,200,400',
  // Only webhooks (or an explicit test) move an authorization waiting for the customer.
  PAYMENTS_ACTION_RECHECK_MS: '600000',
  // The reconciliation runs only where a test asks for it.
  PAYMENTS_RECONCILIATION_INTERVAL_MS: '3600000',
};

/**
 * The payments module under a name of its own. Its queue (and inbox consumer) is named after the
 * module, and on a shared RabbitMQ two test services named alike would share one queue across
 * their exchanges and take each other's commands. Nothing else changes.
 */
export const isolatedPaymentsModule = (name = uniqueName('payments')): typeof paymentsModule => ({ ...paymentsModule, name });

export interface Harness {
  payments: Payments;
  provider: PaymentProviderHandle;
  webhookSecret: string;
  replies: Replies;
  /** Publishes a command as the orders service would. */
  send<M extends MessageDefinition>(def: M, data: DataOf<M>): Promise<Envelope<DataOf<M>>>;
  close(): Promise<void>;
}

export interface HarnessOptions {
  /** Extra settings of the payments service. */
  env?: Record<string, string>;
  /** Extra settings of the sandbox. */
  providerEnv?: Record<string, string>;
  /** Whether the sandbox sends its webhooks to payments (default true). */
  webhooks?: boolean;
}

export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const webhookSecret = aWebhookSecret();
  const port = await freePort();
  const provider = await startPaymentProvider({
    ...(options.webhooks === false
      ? {}
      : {
          SANDBOX_WEBHOOK_URLS: `http://127.0.0.1:${port}/api/payments/webhooks/provider`,
          SANDBOX_WEBHOOK_SECRET: webhookSecret,
          SANDBOX_WEBHOOK_RETRY_DELAYS_MS: '100,200,400',
          SANDBOX_WEBHOOK_TIMEOUT_MS: '3000',
        }),
    ...options.providerEnv,
  });
  const payments = await startTestService(isolatedPaymentsModule(), {
    PORT: String(port),
    PAYMENT_PROVIDER_URL: provider.url,
    PAYMENT_PROVIDER_SECRET_KEY: provider.secretKey,
    PAYMENT_PROVIDER_WEBHOOK_SECRET: webhookSecret,
    ...FAST,
    ...options.env,
  });
  const replies = await probeReplies(payments.transport);
  return {
    payments,
    provider,
    webhookSecret,
    replies,
    send: async (def, data) => {
      const envelope = createEnvelope(def, data, { source: 'orders', subject: (data as { orderId: string }).orderId });
      await payments.transport.publish([envelope]);
      return envelope;
    },
    close: async () => {
      await payments.close();
      await provider.close();
    },
  };
}

export interface Replies {
  all: Envelope<any>[];
  /** Replies about one order, of one type (all types when omitted). */
  of(orderId: string, type?: string): Envelope<any>[];
  /** Waits for the n-th reply (default the first) of a type about an order. */
  next(orderId: string, type: string, count?: number): Promise<Envelope<any>>;
}

/** Every event payments publishes, as another service would receive it. */
export async function probeReplies(transport: Transport): Promise<Replies> {
  const all: Envelope<any>[] = [];
  const spec = {
    name: uniqueName('payments_replies'),
    bindings: ['payments.authorization.#', 'payments.capture.#', 'payments.payment.#', 'payments.refund.#'],
    retryDelaysMs: [50],
  };
  await transport.declare([spec]);
  await transport.consume(spec, async (envelope) => {
    if (!envelope.type.endsWith('.requested.v1')) all.push(envelope);
  });
  const of = (orderId: string, type?: string) => all.filter((e) => e.subject === orderId && (type === undefined || e.type === type));
  return {
    all,
    of,
    next: (orderId, type, count = 1) =>
      waitFor(() => of(orderId, type)[count - 1], { timeoutMs: 20_000, description: `reply #${count} ${type} for ${orderId}` }),
  };
}

export const EUR = (amount: number) => ({ amount, currency: 'EUR' });

export function anAuthorize(
  overrides: Partial<DataOf<typeof PaymentsAuthorizeRequestedV1>> = {},
): DataOf<typeof PaymentsAuthorizeRequestedV1> {
  return {
    orderId: randomUUID(),
    customerId: `cust-${randomUUID().slice(0, 8)}`,
    amount: EUR(4_999),
    paymentMethod: 'pm_card_visa',
    ...overrides,
  };
}

export const authorize = (h: Harness, data: DataOf<typeof PaymentsAuthorizeRequestedV1>) => h.send(PaymentsAuthorizeRequestedV1, data);
export const capture = (h: Harness, orderId: string) => h.send(PaymentsCaptureRequestedV1, { orderId });
export const voidPayment = (h: Harness, orderId: string) => h.send(PaymentsVoidRequestedV1, { orderId, reason: 'The order was cancelled' });
export const refund = (h: Harness, orderId: string, amount?: number, refundId: string = randomUUID()) =>
  h.send(PaymentsRefundRequestedV1, {
    orderId,
    refundId,
    reason: 'The customer returned the goods',
    ...(amount !== undefined ? { amount: EUR(amount) } : {}),
  });

/** Authorizes and captures an order; returns its id once capture.succeeded has been published. */
export async function aCapturedOrder(h: Harness, amount = 10_000): Promise<string> {
  const order = anAuthorize({ amount: EUR(amount) });
  await authorize(h, order);
  await h.replies.next(order.orderId, 'payments.authorization.succeeded.v1');
  await capture(h, order.orderId);
  await h.replies.next(order.orderId, 'payments.capture.succeeded.v1');
  return order.orderId;
}

/** The provider's ledger (the oracle) of one order, by kind. */
export async function providerLedger(h: Harness, orderId: string) {
  const entries = await h.provider.ledger(orderId);
  const kinds = (kind: string) => entries.filter((e) => e.kind === kind);
  return { entries, authorizations: kinds('authorization'), captures: kinds('capture'), voids: kinds('void'), refunds: kinds('refund') };
}

/** Our own rows, read as an operator would (SQL on the service's database). */
export async function operationsOf(payments: Payments, orderId: string) {
  return payments.ctx.db.selectFrom('payment_operations').selectAll().where('order_id', '=', orderId).orderBy('created_at').execute();
}

export async function paymentOf(payments: Payments, orderId: string) {
  return payments.ctx.db.selectFrom('payments').selectAll().where('order_id', '=', orderId).executeTakeFirst();
}

export async function ourLedger(payments: Payments, orderId: string) {
  return payments.ctx.db.selectFrom('ledger_entries').selectAll().where('order_id', '=', orderId).orderBy('id').execute();
}

/** The sum of the series of one metric of the service's /metrics that carry `labels` (0 when none). */
export async function metric(payments: Payments, name: string, labels: Record<string, string> = {}): Promise<number> {
  const res = await payments.app.inject('/metrics');
  const wanted = Object.entries(labels).map(([k, v]) => `${k}="${v}"`);
  let sum = 0;
  for (const line of res.body.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (wanted.every((w) => line.includes(w))) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}

/** The `Authorization: Bearer` header of a caller, with a token for this service (its name is the audience). */
export const as = (payments: Payments, caller: TestCaller): Promise<Record<string, string>> => bearerFor(payments.name, caller);

/** An admin who may refund up to 10,000.00 EUR at once (the refund limit of the token). */
export const ADMIN: TestCaller = { roles: ['admin'], sub: 'usr_admin_ada', refundLimit: EUR(1_000_000) };
export const SUPPORT: TestCaller = { roles: ['support'], sub: 'usr_support_sam', region: 'eu' };

export const asAdmin = (payments: Payments) => as(payments, ADMIN);

/** Asserts an RFC 9457 problem with its stable code. */
export function expectProblem(res: { statusCode: number; headers: Record<string, unknown>; json(): any }, status: number, code: string) {
  expect({ status: res.statusCode, code: res.json().code }).toEqual({ status, code });
  expect(res.headers['content-type']).toMatch(/^application\/problem\+json/);
}

/** The envelopes the service committed to its outbox, of one type and about one order. */
export async function outboxOf(payments: Payments, type: string, orderId: string): Promise<Envelope<any>[]> {
  const rows = await sql<{ envelope: Envelope<any> }>`
    SELECT envelope FROM outbox WHERE type = ${type} AND envelope->>'subject' = ${orderId} ORDER BY seq`.execute(payments.ctx.db);
  return rows.rows.map((r) => r.envelope);
}
