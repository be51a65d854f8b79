import { waitFor } from '@emporium/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  ADMIN,
  asAdmin,
  aConfirmedOrder,
  aPartner,
  confirmed,
  deliveriesOf,
  hooksAbout,
  mailsTo,
  metric,
  removePartner,
  type Rig,
  setPartnerFault,
  setSmtpFault,
  settled,
  SHORT_TIMEOUTS,
  HOLD_MS,
  startRig,
} from './support.js';

// One partner per test (removed at its end), so a partner's fault touches only its own test.
let rig: Rig;
beforeAll(async () => {
  rig = await startRig(SHORT_TIMEOUTS);
});
afterAll(async () => {
  await rig?.close();
});

const CUSTOMER_CHANNELS = 2;

describe('webhook delivery under faults', () => {
  it('when the partner answers 500 twice then 200, then it is delivered once, in three attempts, all with the same webhook-id', async () => {
    const partner = await aPartner(rig);
    try {
      await setPartnerFault(rig, partner.name, { kind: 'error', status: 500, times: 2 });
      const order = aConfirmedOrder();
      await confirmed(rig, order);
      const rows = await settled(rig, order.orderId, CUSTOMER_CHANNELS + 1);

      const hooks = await hooksAbout(rig, partner.name, order.orderId);
      expect(hooks.map((h) => [h.answeredStatus, h.accepted, h.validSignature])).toEqual([
        [500, false, true],
        [500, false, true],
        [200, true, true],
      ]);
      expect(new Set(hooks.map((h) => h.webhookId)).size).toBe(1);
      // Each attempt is signed afresh; the body is the same bytes every time.
      expect(new Set(hooks.map((h) => h.body)).size).toBe(1);
      expect(rows.find((r) => r.channel === 'webhook')).toMatchObject({ status: 'delivered', attempts: 3, lastError: null });
    } finally {
      await removePartner(rig, partner);
    }
  });

  it('when the partner fails every time, then the delivery is parked after its schedule, the metric moves, and an operator can send it again with the same id', async () => {
    const partner = await aPartner(rig);
    try {
      const parkedBefore = await metric(rig, 'emporium_notifications_parked_total', { channel: 'webhook' });
      const attemptsBefore = await metric(rig, 'emporium_notifications_deliveries_total', { channel: 'webhook', outcome: 'parked' });
      await setPartnerFault(rig, partner.name, { kind: 'error', status: 503 });
      const order = aConfirmedOrder();
      await confirmed(rig, order);
      const rows = await settled(rig, order.orderId, CUSTOMER_CHANNELS + 1);

      const webhook = rows.find((r) => r.channel === 'webhook')!;
      // The schedule has three waits: four attempts, then parked.
      expect(webhook).toMatchObject({ status: 'parked', attempts: 4, lastError: 'endpoint answered 503' });
      expect(await hooksAbout(rig, partner.name, order.orderId)).toHaveLength(4);
      expect(await metric(rig, 'emporium_notifications_parked_total', { channel: 'webhook' })).toBe(parkedBefore + 1);
      expect(await metric(rig, 'emporium_notifications_deliveries_total', { channel: 'webhook', outcome: 'parked' })).toBe(
        attemptsBefore + 1,
      );
      expect(
        await metric(rig, 'emporium_notifications_deliveries_total', { channel: 'webhook', outcome: 'failed' }),
      ).toBeGreaterThanOrEqual(3);

      // The partner is back; an operator replays the parked delivery.
      await setPartnerFault(rig, partner.name, null);
      const retry = await rig.service.app.inject({
        method: 'POST',
        url: `/api/notifications/deliveries/${webhook.id}/retry`,
        headers: await asAdmin(rig.service),
      });
      expect(retry.statusCode, retry.body).toBe(200);
      expect(retry.json()).toMatchObject({
        id: webhook.id,
        status: 'pending',
        attempts: 0,
        replays: [{ requestedBy: ADMIN.sub, requestedAt: expect.any(String) }],
      });
      await waitFor(async () => (await deliveriesOf(rig, order.orderId)).find((r) => r.id === webhook.id)?.status === 'delivered', {
        description: 'the replayed delivery',
      });
      const hooks = await hooksAbout(rig, partner.name, order.orderId);
      expect(hooks.at(-1)).toMatchObject({ accepted: true, webhookId: webhook.id });
      expect(new Set(hooks.map((h) => h.webhookId))).toEqual(new Set([webhook.id]));

      const again = await rig.service.app.inject({
        method: 'POST',
        url: `/api/notifications/deliveries/${webhook.id}/retry`,
        headers: await asAdmin(rig.service),
      });
      expect({ status: again.statusCode, code: again.json().code }).toEqual({ status: 409, code: 'delivery_not_parked' });
    } finally {
      await removePartner(rig, partner);
    }
  });

  it('when the partner receives the webhook but answers after our timeout, then the retry carries the same webhook-id and the partner sees one event', async () => {
    const partner = await aPartner(rig);
    try {
      await setPartnerFault(rig, partner.name, { kind: 'hold', holdMs: HOLD_MS, times: 1 });
      const order = aConfirmedOrder();
      await confirmed(rig, order);
      const rows = await settled(rig, order.orderId, CUSTOMER_CHANNELS + 1);

      const hooks = await hooksAbout(rig, partner.name, order.orderId);
      expect(hooks).toHaveLength(2);
      expect(hooks.every((h) => h.accepted && h.validSignature)).toBe(true);
      expect(hooks[0]!.webhookId).toBe(hooks[1]!.webhookId);
      const distinct = await (
        await fetch(`${rig.receiver.url}/deliveries?partner=${partner.name}&webhookId=${hooks[0]!.webhookId}`)
      ).json();
      expect(distinct).toMatchObject({ count: 2, distinctIds: 1 });
      expect(rows.find((r) => r.channel === 'webhook')).toMatchObject({ status: 'delivered', attempts: 2 });
    } finally {
      await removePartner(rig, partner);
    }
  });
});

describe('e-mail delivery under faults', () => {
  it('when the mail server keeps the message but answers after our timeout, then it is sent again with the same Message-ID, and the customer sees one message', async () => {
    await setSmtpFault(rig, { kind: 'hold_after_accept', holdMs: HOLD_MS, times: 1 });
    try {
      const order = aConfirmedOrder();
      await confirmed(rig, order);
      const rows = await settled(rig, order.orderId, CUSTOMER_CHANNELS);

      const mails = await mailsTo(rig, order.email);
      expect(mails.count).toBe(2);
      expect(mails.distinctMessageIds).toBe(1);
      expect(mails.items[0]!.messageId).toBe(mails.items[1]!.messageId);
      expect(mails.items[0]!.text).toBe(mails.items[1]!.text);
      expect(rows.find((r) => r.channel === 'email')).toMatchObject({ status: 'delivered', attempts: 2 });
    } finally {
      await setSmtpFault(rig, null);
    }
  });

  it('when the mail server keeps the message and drops the connection, then it is sent again with the same Message-ID', async () => {
    await setSmtpFault(rig, { kind: 'drop_after_accept', times: 1 });
    try {
      const order = aConfirmedOrder();
      await confirmed(rig, order);
      const rows = await settled(rig, order.orderId, CUSTOMER_CHANNELS);
      const mails = await mailsTo(rig, order.email);
      expect({ count: mails.count, distinct: mails.distinctMessageIds }).toEqual({ count: 2, distinct: 1 });
      expect(rows.find((r) => r.channel === 'email')).toMatchObject({ status: 'delivered', attempts: 2 });
    } finally {
      await setSmtpFault(rig, null);
    }
  });
});
