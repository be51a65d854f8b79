import path from 'node:path';
import { createDb, sql } from '@emporium/db';
import { EmbeddedTransport, RabbitMqTransport, type Transport } from '@emporium/messaging';
import { createLogger } from '@emporium/observability';
import { type PaymentProviderHandle, startPaymentProvider } from '@emporium/sandbox-payment-provider';
import { type Child, createTestDatabase, spawnTs, testAmqpUrl, testAuthEnv, testMode, uniqueName, waitFor } from '@emporium/testing';
import { createEnvelope } from '@emporium/messaging';
import { PaymentsAuthorizeRequestedV1, PaymentsCaptureRequestedV1 } from '@emporium/contracts';
import { afterAll, describe, expect, it } from 'vitest';
import { aWebhookSecret, anAuthorize, EUR, probeReplies } from './support/payments.js';

/**
 * F2, the incident: payments is SIGKILLed after the provider authorized, before our commit. The
 * service runs as a child process; the provider holds its answer (a latency fault), the child is
 * killed while the call is in flight, the provider commits anyway, and a fresh process on the same
 * database resumes the operation with the same key: exactly one authorization.
 */
const here = path.dirname(new URL(import.meta.url).pathname);
const quiet = createLogger({ service: 'test', level: 'silent', pretty: false });
const children: Child[] = [];
let provider: PaymentProviderHandle | undefined;
let transport: Transport | undefined;

afterAll(async () => {
  for (const c of children) await c.kill();
  await transport?.close();
  await provider?.close();
});

describe('payments SIGKILLed between the provider’s commit and ours', () => {
  it('when the process dies while the provider holds its answer (authorize, then capture), then a restarted process resumes with the same key: one authorization, one capture', async () => {
    provider = await startPaymentProvider();
    const databaseUrl = await createTestDatabase('payments_crash');
    const name = uniqueName('payments');
    let brokerEnv: Record<string, string>;
    if (testMode() === 'real') {
      const exchange = uniqueName('ex');
      transport = new RabbitMqTransport({ url: testAmqpUrl(), exchange, queuePrefix: exchange, logger: quiet });
      brokerEnv = { AMQP_URL: testAmqpUrl(), AMQP_EXCHANGE: exchange, AMQP_QUEUE_PREFIX: exchange };
    } else {
      const url = await createTestDatabase('broker');
      transport = new EmbeddedTransport({ url, logger: quiet, pollIntervalMs: 100 });
      brokerEnv = { BROKER_DATABASE_URL: url };
    }
    const replies = await probeReplies(transport);
    const env = {
      ...brokerEnv,
      // Payments checks access tokens: the child trusts this process's test issuer (it is sent none here).
      ...(await testAuthEnv()),
      TEST_SERVICE_NAME: name,
      DATABASE_URL: databaseUrl,
      PORT: '0',
      HOST: '127.0.0.1',
      LOG_LEVEL: 'info',
      LOG_PRETTY: 'false',
      OUTBOX_POLL_INTERVAL_MS: '100',
      CONSUMER_RETRY_DELAYS_MS: '50,100,200',
      PAYMENT_PROVIDER_URL: provider.url,
      PAYMENT_PROVIDER_SECRET_KEY: provider.secretKey,
      PAYMENT_PROVIDER_WEBHOOK_SECRET: aWebhookSecret(),
      // The child waits up to 2 s for the provider, so it is still waiting when it is killed.
      PAYMENT_PROVIDER_TIMEOUT_MS: '2000',
      PAYMENTS_WORKER_LEASE_MS: '5000',
      PAYMENTS_WORKER_POLL_MS: '50',
      PAYMENTS_RETRY_DELAYS_MS: '200',
      PAYMENTS_RECONCILIATION_INTERVAL_MS: '3600000',
    };
    const start = async () => {
      const child = spawnTs(path.join(here, 'support/payments-child.ts'), env);
      children.push(child);
      await child.waitForLine(/started/, 60_000);
      return child;
    };

    const first = await start();
    // The provider holds the authorization's answer 1.5 s; it does the work whether or not we are still there.
    await provider.setFaults([{ operation: 'create', kind: 'latency', ms: 1_500, times: 1 }]);
    const order = anAuthorize({ amount: EUR(12_345) });
    await transport.publish([createEnvelope(PaymentsAuthorizeRequestedV1, order, { source: 'orders', subject: order.orderId })]);

    // The fault is used up the moment our request reaches the provider: the call is in flight.
    await waitFor(
      async () => ((await (await fetch(`${provider!.url}/v1/test/faults`)).json()) as { rules: unknown[] }).rules.length === 0,
      {
        description: 'the authorization to reach the provider',
      },
    );
    await first.kill('SIGKILL');

    const db = createDb<any>(databaseUrl, { max: 1 });
    try {
      const [before] = (await sql<any>`SELECT * FROM payment_operations WHERE order_id = ${order.orderId}`.execute(db)).rows;
      // Our side knows nothing of the outcome: the attempt and its key were committed, the answer never was.
      expect(before).toMatchObject({ kind: 'authorize', status: 'pending', idempotency_key: `emporium-${before.id}` });
      expect(before.first_sent_at).not.toBeNull();
      // The provider commits anyway.
      await waitFor(async () => (await provider!.ledger(order.orderId)).length === 1, { description: 'the provider to authorize' });
      expect(replies.of(order.orderId)).toEqual([]);

      await start();
      const reply = await replies.next(order.orderId, 'payments.authorization.succeeded.v1');
      expect(reply.data).toMatchObject({ orderId: order.orderId, amount: EUR(12_345) });

      const ledger = await provider.ledger(order.orderId);
      expect(ledger.map((e) => [e.kind, e.amount])).toEqual([['authorization', 12_345]]);
      const after = (await sql<any>`SELECT * FROM payment_operations WHERE order_id = ${order.orderId}`.execute(db)).rows;
      expect(after).toHaveLength(1);
      expect(after[0]).toMatchObject({ id: before.id, idempotency_key: before.idempotency_key, status: 'succeeded' });
      expect(after[0].attempts).toBeGreaterThanOrEqual(2);

      // F2 to the letter, on the pivot: the provider has CAPTURED (committed, its answer held back)
      // when the process dies; the next process captures with the same key and gets the stored answer.
      await provider.setFaults([{ operation: 'capture', kind: 'timeout_after_commit', ms: 4_000, times: 1 }]);
      await transport.publish([
        createEnvelope(PaymentsCaptureRequestedV1, { orderId: order.orderId }, { source: 'orders', subject: order.orderId }),
      ]);
      await waitFor(async () => (await provider!.ledger(order.orderId)).some((e) => e.kind === 'capture'), {
        description: 'the provider to capture',
      });
      await children.at(-1)!.kill('SIGKILL');
      const [pendingCapture] = (
        await sql<any>`SELECT * FROM payment_operations WHERE order_id = ${order.orderId} AND kind = 'capture'`.execute(db)
      ).rows;
      expect(pendingCapture).toMatchObject({ status: 'pending' });

      await start();
      const captured = await replies.next(order.orderId, 'payments.capture.succeeded.v1');
      expect(captured.data).toMatchObject({ amount: EUR(12_345) });
      expect((await provider.ledger(order.orderId)).map((e) => e.kind)).toEqual(['authorization', 'capture']);
      const [capture] = (
        await sql<any>`SELECT * FROM payment_operations WHERE order_id = ${order.orderId} AND kind = 'capture'`.execute(db)
      ).rows;
      expect(capture).toMatchObject({ id: pendingCapture.id, idempotency_key: pendingCapture.idempotency_key, status: 'succeeded' });
    } finally {
      await db.destroy();
    }
  });
});
