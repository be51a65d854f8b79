import { OrdersOrderConfirmedV1 } from '@emporium/contracts';
import { waitFor } from '@emporium/testing';
import { Webhook } from 'standardwebhooks';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { deliveryIdOf, messageIdOf, notificationIdOf } from '../src/index.js';
import {
  aCancellation,
  aConfirmedOrder,
  aPartner,
  aRefund,
  cancelled,
  confirmed,
  envelopeOf,
  feedOf,
  hooksAbout,
  mailsTo,
  type Partner,
  publish,
  refunded,
  removePartner,
  type Rig,
  settled,
  startRig,
} from './support.js';

let rig: Rig;
let acme: Partner;
let globex: Partner;

beforeAll(async () => {
  rig = await startRig();
  acme = await aPartner(rig);
  globex = await aPartner(rig);
});
afterAll(async () => {
  await rig?.close();
});

/** Two channels for the customer plus one webhook per partner registered in this file. */
const perNotification = () => 2 + 2;

describe('when an order is confirmed', () => {
  it('then the customer gets exactly one e-mail with the lines and the total, each partner one signed webhook, and the feed one entry', async () => {
    const order = aConfirmedOrder();
    await confirmed(rig, order);
    await settled(rig, order.orderId, perNotification());

    const mails = await mailsTo(rig, order.email);
    expect(mails.count).toBe(1);
    const [mail] = mails.items;
    const notificationId = notificationIdOf(order.orderId, 'order_confirmed', '');
    expect(mail).toMatchObject({
      messageId: messageIdOf(deliveryIdOf(notificationId, 'email', null), 'shop.emporium.test'),
      from: 'Emporium <orders@shop.emporium.test>',
      to: [order.email],
      subject: `Your Emporium order ${order.orderId.slice(0, 8).toUpperCase()} is confirmed`,
    });
    expect(mail!.text).toContain(`Order: ${order.orderId}`);
    expect(mail!.text).toContain('2 × Storm lantern (LANT-S) at 19.99 EUR = 39.98 EUR');
    expect(mail!.text).toContain('1 × Spare wicks (WICK-10) at 19.99 EUR = 19.99 EUR');
    expect(mail!.text).toContain('Total: 59.97 EUR');

    for (const partner of [acme, globex]) {
      const hooks = await hooksAbout(rig, partner.name, order.orderId);
      expect(hooks).toHaveLength(1);
      const [hook] = hooks;
      expect(hook).toMatchObject({
        validSignature: true,
        accepted: true,
        webhookId: deliveryIdOf(notificationId, 'webhook', partner.endpointId),
      });
      // The partner can verify it with its own secret, and reads the event.
      const event = new Webhook(partner.secret).verify(hook!.body, hook!.headers) as { type: string; data: Record<string, unknown> };
      expect(event).toMatchObject({ type: 'order.confirmed', data: { orderId: order.orderId, total: order.total } });
      expect(hook!.body).not.toContain(order.email);
    }

    const feed = await feedOf(rig, order.customerId);
    expect(feed.items).toEqual([
      {
        id: deliveryIdOf(notificationId, 'feed', null),
        kind: 'order_confirmed',
        orderId: order.orderId,
        title: 'Order confirmed',
        body: `Your order ${order.orderId.slice(0, 8).toUpperCase()} is confirmed. Total: 59.97 EUR.`,
        createdAt: expect.any(String),
        readAt: null,
      },
    ]);
  });

  it('and the same event is delivered twice, and published again under a new message id, then there is still one of each', async () => {
    const order = aConfirmedOrder();
    const envelope = envelopeOf(OrdersOrderConfirmedV1, order);
    await publish(rig, envelope);
    await settled(rig, order.orderId, perNotification());
    // A redelivery (same message id) and a second publication (new id, same facts), then a later
    // order: once that one is settled, the repeats have long been consumed.
    await publish(rig, envelope, envelopeOf(OrdersOrderConfirmedV1, order));
    const marker = aConfirmedOrder();
    await confirmed(rig, marker);
    await settled(rig, marker.orderId, perNotification());
    await settled(rig, order.orderId, perNotification());

    expect((await mailsTo(rig, order.email)).count).toBe(1);
    expect(await hooksAbout(rig, acme.name, order.orderId)).toHaveLength(1);
    expect(await hooksAbout(rig, globex.name, order.orderId)).toHaveLength(1);
    expect((await feedOf(rig, order.customerId)).items).toHaveLength(1);
  });
});

describe('when an order is cancelled', () => {
  it('then the customer gets one e-mail and one feed entry with the reason, and each partner one webhook', async () => {
    const order = aConfirmedOrder();
    const cancellation = aCancellation(order, { reason: 'We could not reserve the storm lantern', refunded: false });
    await cancelled(rig, cancellation);
    await settled(rig, order.orderId, perNotification());

    const mails = await mailsTo(rig, order.email);
    expect(mails.count).toBe(1);
    expect(mails.items[0]!.subject).toBe(`Your Emporium order ${order.orderId.slice(0, 8).toUpperCase()} was cancelled`);
    expect(mails.items[0]!.text).toContain('Reason: We could not reserve the storm lantern');
    expect(mails.items[0]!.text).toContain('You have not been charged for it.');

    const [entry] = (await feedOf(rig, order.customerId)).items;
    expect(entry).toMatchObject({ kind: 'order_cancelled', body: expect.stringContaining('We could not reserve the storm lantern') });
    const [hook] = await hooksAbout(rig, acme.name, order.orderId);
    expect(JSON.parse(hook!.body)).toMatchObject({
      type: 'order.cancelled',
      data: { orderId: order.orderId, reason: cancellation.reason, refunded: false },
    });
  });
});

describe('when a payment is refunded', () => {
  it('then the customer gets one e-mail and one feed entry with the amount, and each partner one webhook', async () => {
    const order = aConfirmedOrder();
    await confirmed(rig, order);
    await settled(rig, order.orderId, perNotification());
    const refund = aRefund(order, { amount: { amount: 1999, currency: 'EUR' } });
    await refunded(rig, refund);
    await settled(rig, order.orderId, 2 * perNotification());

    const mail = (await mailsTo(rig, order.email)).items.find((m) => m.subject.startsWith('Your refund'));
    expect(mail?.subject).toBe(`Your refund of 19.99 EUR for order ${order.orderId.slice(0, 8).toUpperCase()}`);
    expect(mail?.text).toContain(`we refunded 19.99 EUR for your order ${order.orderId}`);
    expect((await mailsTo(rig, order.email)).count).toBe(2);

    const feed = await feedOf(rig, order.customerId);
    expect(feed.items.map((e) => e.kind)).toEqual(['payment_refunded', 'order_confirmed']);
    expect(feed.items[0]!.body).toContain('19.99 EUR');
    const hooks = await hooksAbout(rig, globex.name, order.orderId);
    expect(hooks.map((h) => JSON.parse(h.body).type).sort()).toEqual(['order.confirmed', 'payment.refunded']);
    expect(JSON.parse(hooks.find((h) => h.body.includes('payment.refunded'))!.body).data).toEqual({
      orderId: order.orderId,
      refundId: refund.refundId,
      amount: refund.amount,
    });
  });

  it('and the refund is told before the order’s cancellation, then its e-mail waits for the address and goes once', async () => {
    const order = aConfirmedOrder();
    const refund = aRefund(order, { amount: { amount: 5997, currency: 'EUR' } });
    await refunded(rig, refund);
    // The feed and the webhooks do not wait for the address.
    await waitFor(async () => (await feedOf(rig, order.customerId)).items.length === 1, { description: 'the refund in the feed' });
    await waitFor(async () => (await hooksAbout(rig, acme.name, order.orderId)).length === 1, { description: 'the refund webhook' });
    expect((await mailsTo(rig, order.email)).count).toBe(0);

    await cancelled(rig, aCancellation(order, { reason: 'Cancelled at your request', refunded: true }));
    await settled(rig, order.orderId, 2 * perNotification());
    const mails = await mailsTo(rig, order.email);
    expect(mails.items.map((m) => m.subject).sort()).toEqual([
      `Your Emporium order ${order.orderId.slice(0, 8).toUpperCase()} was cancelled`,
      `Your refund of 59.97 EUR for order ${order.orderId.slice(0, 8).toUpperCase()}`,
    ]);
    expect(mails.items.find((m) => m.subject.includes('cancelled'))!.text).toContain('has been refunded');
  });
});

describe('when a partner endpoint is removed', () => {
  it('then later notifications are not sent to it, and the other partners still get theirs', async () => {
    const leaving = await aPartner(rig);
    const first = aConfirmedOrder();
    await confirmed(rig, first);
    await settled(rig, first.orderId, perNotification() + 1);
    expect(await hooksAbout(rig, leaving.name, first.orderId)).toHaveLength(1);

    await removePartner(rig, leaving);
    const second = aConfirmedOrder();
    await confirmed(rig, second);
    await settled(rig, second.orderId, perNotification());
    expect(await hooksAbout(rig, leaving.name, second.orderId)).toHaveLength(0);
    expect(await hooksAbout(rig, acme.name, second.orderId)).toHaveLength(1);
  });
});
